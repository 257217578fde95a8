//! `docs/openapi.json` against the core: every error `code` the core can
//! produce ([`ErrorCode::ALL`]) is in its `ErrorCode` enum and no other is;
//! every endpoint ([`Route::ALL`]) is described with its method, and no
//! other; the routes that need a token say so (401 with `WWW-Authenticate`),
//! the others opt out of security. (schemathesis checks the server's
//! responses against the same file: `tests/schemathesis/run.sh`.)

use agora_core::api::{ErrorCode, Route};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::PathBuf;

fn description() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/openapi.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

fn strings(values: &Value) -> BTreeSet<String> {
    values
        .as_array()
        .expect("an array")
        .iter()
        .map(|v| v.as_str().expect("a string").to_owned())
        .collect()
}

#[test]
fn the_error_code_enum_is_exactly_the_cores_codes() {
    let doc = description();
    let described = strings(&doc["components"]["schemas"]["ErrorCode"]["enum"]);
    let produced: BTreeSet<String> = ErrorCode::ALL
        .iter()
        .map(|code| code.as_str().to_owned())
        .collect();
    let missing: Vec<_> = produced.difference(&described).collect();
    assert!(
        missing.is_empty(),
        "codes the core produces that docs/openapi.json's ErrorCode enum lacks: {missing:?}"
    );
    let extra: Vec<_> = described.difference(&produced).collect();
    assert!(
        extra.is_empty(),
        "codes docs/openapi.json describes that the core never produces: {extra:?}"
    );
}

/// Every `code` property's `const` or `enum` anywhere in `value`.
fn code_constraints(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(code) = map.get("properties").and_then(|p| p.get("code")) {
                if let Some(one) = code.get("const").and_then(Value::as_str) {
                    out.insert(one.to_owned());
                }
                if let Some(many) = code.get("enum") {
                    out.extend(strings(many));
                }
            }
            map.values().for_each(|v| code_constraints(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| code_constraints(v, out)),
        _ => {}
    }
}

#[test]
fn every_code_a_response_names_is_a_core_code() {
    let mut named = BTreeSet::new();
    code_constraints(&description(), &mut named);
    assert!(named.contains("user_not_found"), "{named:?}");
    let unknown: Vec<_> = named
        .iter()
        .filter(|code| !ErrorCode::ALL.iter().any(|c| c.as_str() == code.as_str()))
        .collect();
    assert!(unknown.is_empty(), "not codes of the core: {unknown:?}");
}

#[test]
fn every_endpoint_is_described_with_its_method_and_auth() {
    let doc = description();
    let paths = doc["paths"].as_object().expect("paths");
    let described: BTreeSet<&str> = paths.keys().map(String::as_str).collect();
    let routes: BTreeSet<&str> = Route::ALL.iter().map(|r| r.path()).collect();
    assert_eq!(
        described, routes,
        "paths in docs/openapi.json vs api::Route::ALL"
    );
    for route in Route::ALL {
        let item = &paths[route.path()];
        let methods: BTreeSet<String> = item.as_object().unwrap().keys().cloned().collect();
        // (issue 25) A path may have a route per method (`/rooms`).
        let route_methods: BTreeSet<String> = Route::ALL
            .iter()
            .filter(|r| r.path() == route.path())
            .map(|r| r.method().to_ascii_lowercase())
            .collect();
        assert_eq!(methods, route_methods, "{}", route.path());
        let method = route.method().to_ascii_lowercase();
        let operation = &item[method.as_str()];
        let unauthorized = &operation["responses"]["401"];
        if route.needs_auth() {
            assert!(!unauthorized.is_null(), "{}: no 401", route.path());
            assert!(
                operation.get("security").is_none(),
                "{}: the bearer scheme applies",
                route.path()
            );
            let name = unauthorized["$ref"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap();
            let response = &doc["components"]["responses"][name];
            assert!(
                !response["headers"]["WWW-Authenticate"].is_null(),
                "{}: 401 without WWW-Authenticate",
                route.path()
            );
        } else {
            assert!(unauthorized.is_null(), "{}: 401 without auth", route.path());
            assert_eq!(
                operation["security"],
                serde_json::json!([]),
                "{}",
                route.path()
            );
        }
    }
}

/// Every POST takes `Idempotency-Key` and names its 422
/// (`idempotency_key_reused`); GETs take neither.
#[test]
fn every_post_takes_an_idempotency_key() {
    let doc = description();
    let key = "#/components/parameters/IdempotencyKey";
    assert_eq!(
        doc["components"]["parameters"]["IdempotencyKey"]["name"],
        "Idempotency-Key"
    );
    let reused = &doc["components"]["responses"]["IdempotencyKeyReused"];
    let mut codes = BTreeSet::new();
    code_constraints(reused, &mut codes);
    assert_eq!(codes, BTreeSet::from(["idempotency_key_reused".to_owned()]));
    for route in Route::ALL {
        let method = route.method().to_ascii_lowercase();
        let operation = &doc["paths"][route.path()][method.as_str()];
        let takes_key = operation["parameters"]
            .as_array()
            .is_some_and(|params| params.iter().any(|p| p["$ref"] == key));
        let names_422 = !operation["responses"]["422"].is_null();
        let post = route.method() == "POST";
        assert_eq!(takes_key, post, "{}: Idempotency-Key", route.path());
        assert_eq!(names_422, post, "{}: 422", route.path());
    }
}
