//! The limits on new accounts and the moderators' `/unban`, with the
//! default rules (`--register-rate 10`, `--reporter-min-age 1h`).

use crate::rules_support;

use agora_core::config::Config;
use agora_core::http::Response;
use rules_support::{assert_error, body, Server};

const HOUR: u64 = 3_600_000;

fn get_token(s: &mut Server, name: &str) -> Response {
    s.call(
        "POST",
        "/get-token",
        None,
        &format!(r#"{{"user_name":"{name}"}}"#),
    )
}

fn retry_after(r: &Response) -> u64 {
    let header: u64 = r
        .header("Retry-After")
        .expect("Retry-After")
        .parse()
        .unwrap();
    assert_eq!(body(r)["retry_after"], header, "body and header agree");
    header
}

#[test]
fn the_eleventh_registration_from_one_address_in_an_hour_is_refused() {
    let mut s = Server::with_config(Config::default());
    for i in 0..10 {
        s.register(&format!("u{i}"));
        s.advance(60_000);
    }
    // The first of the ten was 10 minutes ago: a slot frees in 50 minutes.
    let r = get_token(&mut s, "u10");
    assert_eq!(r.status, 429);
    assert_eq!(body(&r)["code"], "register_rate_exceeded");
    assert_eq!(retry_after(&r), 50 * 60);
    // Refused whatever the name, even a taken one.
    assert_eq!(get_token(&mut s, "u0").status, 429);
    // Another address is not limited by this one's.
    s.client = "10.0.0.9".parse().unwrap();
    s.register("elsewhere");
    s.client = std::net::Ipv4Addr::LOCALHOST.into();
    // A millisecond before the slot frees, still refused (rounded up to 1 s);
    // then one slot, and only one.
    s.advance(50 * 60_000 - 1);
    assert_eq!(retry_after(&get_token(&mut s, "u10")), 1);
    s.advance(1);
    s.register("u10");
    assert_eq!(get_token(&mut s, "u11").status, 429);
}

#[test]
fn ipv6_clients_count_by_their_64() {
    let mut s = Server::with_config(Config {
        register_rate: 2,
        ..Config::default()
    });
    s.client = "2001:db8::1".parse().unwrap();
    s.register("a");
    s.client = "2001:db8::ffff:2".parse().unwrap();
    s.register("b");
    s.client = "2001:db8:0:0:1::3".parse().unwrap();
    assert_eq!(get_token(&mut s, "c").status, 429);
    s.client = "2001:db8:0:1::3".parse().unwrap();
    s.register("c");
}

#[test]
fn register_rate_zero_is_no_limit() {
    let mut s = Server::with_config(Config {
        register_rate: 0,
        ..Config::default()
    });
    for i in 0..50 {
        s.register(&format!("u{i}"));
    }
}

#[test]
fn fresh_or_silent_reporters_do_not_count() {
    let mut s = Server::with_config(Config {
        register_rate: 0,
        ..Config::default()
    });
    let target = s.register("target");
    let fresh: Vec<String> = (0..3).map(|i| s.register(&format!("f{i}"))).collect();
    for token in &fresh {
        assert_eq!(s.send(token, None, "hi").status, 201);
        assert_error(
            &s.report(token, "target", "public"),
            403,
            "reporter_not_trusted",
            None,
        );
    }
    // Nothing was recorded: no cautions, no ban.
    assert_eq!(body(&s.status(&target))["cautions"], 0);
    // Old enough but never sent anything: still not trusted.
    let silent = s.register("silent");
    s.advance(HOUR);
    assert_error(
        &s.report(&silent, "target", "public"),
        403,
        "reporter_not_trusted",
        None,
    );
    // The three who sent messages are an hour old now: they ban.
    assert_eq!(s.report(&fresh[0], "target", "public").status, 201);
    assert_eq!(s.report(&fresh[1], "target", "public").status, 201);
    let r = s.report(&fresh[2], "target", "public");
    assert_eq!(r.status, 201);
    assert!(body(&r)["banned_until"].is_string(), "{:?}", body(&r));
    // A private message counts as a message too.
    s.send(&silent, Some("f0"), "psst");
    assert_eq!(s.report(&silent, "f1", "public").status, 201);
    // The order of checks: an unknown target is 404 before the trust check.
    let newcomer = s.register("newcomer");
    assert_error(
        &s.report(&newcomer, "nobody", "public"),
        404,
        "user_not_found",
        None,
    );
}

#[test]
fn reporter_min_age_zero_trusts_everyone() {
    let mut s = Server::with_config(Config {
        register_rate: 0,
        reporter_min_age_ms: 0,
        ..Config::default()
    });
    s.register("t");
    let r = s.register("r");
    assert_eq!(s.report(&r, "t", "public").status, 201);
}

#[test]
fn moderators_unban_and_clear_reports() {
    let mut s = Server::with_config(Config {
        register_rate: 0,
        reporter_min_age_ms: 0,
        ban_threshold: 2,
        moderators: vec!["Mod".into()],
        ..Config::default()
    });
    let [moderator, bob] = s.register_all(["mod", "bob"]);
    let r: Vec<String> = (0..3).map(|i| s.register(&format!("r{i}"))).collect();
    s.report(&r[0], "bob", "public");
    s.report(&r[1], "bob", "public");
    assert_eq!(s.send(&bob, None, "hi").status, 403, "bob is banned");
    let unban = |s: &mut Server, token: &str, name: &str| {
        s.call(
            "POST",
            "/unban",
            Some(token),
            &format!(r#"{{"user_name":"{name}"}}"#),
        )
    };
    assert_error(&unban(&mut s, &r[2], "bob"), 403, "not_a_moderator", None);
    assert_error(
        &unban(&mut s, &moderator, "nobody"),
        404,
        "user_not_found",
        None,
    );
    let ok = unban(&mut s, &moderator, "BOB");
    assert_eq!(ok.status, 200);
    assert_eq!(
        body(&ok),
        serde_json::json!({"info": "user unbanned", "user_name": "bob", "was_banned": true})
    );
    assert_eq!(s.send(&bob, None, "back").status, 201);
    assert_eq!(
        body(&s.status(&bob))["banned_until"],
        serde_json::Value::Null
    );
    // A standing report is cleared too: one more report is one caution.
    s.report(&r[2], "bob", "public");
    let again = unban(&mut s, &moderator, "bob");
    assert_eq!(body(&again)["was_banned"], false);
    assert_eq!(body(&s.report(&r[0], "bob", "public"))["cautions"], 1);
    assert_error(
        &unban(&mut s, "not-a-token", "bob"),
        401,
        "unauthorized",
        None,
    );
}
