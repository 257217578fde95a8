//! The request body as a JSON object of raw, not yet typed, values.

use super::error::error_response;
use crate::error_code::ErrorCode;
use crate::http::Response;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

/// The members of a body's top-level object, values still raw JSON text, so
/// that each field can be typed on its own and a wrong type names its field.
pub(super) struct Body<'a> {
    members: Vec<(Cow<'a, str>, &'a RawValue)>,
}

impl<'a> Body<'a> {
    /// Parses a body: UTF-8 JSON whose top level is an object, empty (or only
    /// whitespace) meaning `{}`. Anything else, and an object with a key twice,
    /// is 400 `invalid_json`. Nesting deeper than serde_json's recursion limit
    /// inside an ignored value is skipped without recursion; at the top level
    /// it is refused like any non-object.
    pub(super) fn parse(bytes: &'a [u8]) -> Result<Body<'a>, Response> {
        let text = std::str::from_utf8(bytes)
            .map_err(|_| invalid_json("the body is not UTF-8".to_owned()))?;
        if text.trim_ascii().is_empty() {
            return Ok(Body {
                members: Vec::new(),
            });
        }
        let mut de = serde_json::Deserializer::from_str(text);
        let members = de
            .deserialize_map(MembersVisitor)
            .and_then(|m| de.end().map(|()| m))
            .map_err(|e| invalid_json(format!("the body must be one JSON object: {e}")))?;
        let mut keys: Vec<&str> = members.iter().map(|(k, _)| k.as_ref()).collect();
        keys.sort_unstable();
        if let Some(pair) = keys.windows(2).find(|pair| pair[0] == pair[1]) {
            return Err(invalid_json(format!(
                "the key `{}` appears more than once",
                pair[0]
            )));
        }
        Ok(Body { members })
    }

    /// The raw value of `name`; `None` when absent or `null`.
    pub(super) fn get(&self, name: &str) -> Option<&'a RawValue> {
        self.members
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| *v)
            .filter(|v| v.get() != "null")
    }
}

fn invalid_json(message: String) -> Response {
    error_response(400, ErrorCode::InvalidJson, &message, None)
}

struct MembersVisitor;

impl<'de> Visitor<'de> for MembersVisitor {
    type Value = Vec<(Cow<'de, str>, &'de RawValue)>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members = Vec::new();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            members.push((key, map.next_value::<&'de RawValue>()?));
        }
        Ok(members)
    }
}

/// A key, borrowed from the body unless it has escapes.
struct KeySeed;

impl<'de> de::DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string key")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
}
