//! `agora search QUERY [--in CHAT]` (issue 27): `GET /search`, and its
//! results as lines: each chat's name, then the message as `read` shows it.

use crate::api::{Api, Reply};
use crate::failure::Failure;
use crate::localtime::Zone;
use crate::render;
use crate::wire::Message;
use serde::Deserialize;

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct SearchReply {
    pub results: Vec<SearchResult>,
    #[serde(default)]
    pub more: bool,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct SearchResult {
    pub chat_type: String,
    pub chat: String,
    pub message: Message,
}

/// The newest matches of `query` (in `chat` only, when given).
pub fn search(
    api: &mut Api,
    query: &str,
    chat: Option<&str>,
) -> Result<Reply<SearchReply>, Failure> {
    let mut target = format!("/search?q={}", percent_encoded(query));
    if let Some(chat) = chat {
        target.push_str("&chat=");
        target.push_str(&percent_encoded(chat));
    }
    api.get(&target)
}

/// `text` for a query string: unreserved characters as they are, every
/// other byte as `%XX`.
fn percent_encoded(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `in the public chat:` / `with bob:` before each run of results from
/// one chat, then the messages, newest first.
pub fn render(reply: &SearchReply, zone: Zone, me: &str) -> String {
    if reply.results.is_empty() {
        return "no messages match\n".to_owned();
    }
    let mut out = String::new();
    let mut last_chat: Option<&str> = None;
    for result in &reply.results {
        if last_chat != Some(result.chat.as_str()) {
            out.push_str(&format!("in {}:\n", render::chat_title(&result.chat)));
            last_chat = Some(&result.chat);
        }
        out.push_str(&render::message(&result.message, zone, me));
    }
    if reply.more {
        out.push_str("--- older messages match too: search with more words ---\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_percent_encoded() {
        assert_eq!(percent_encoded("café & co"), "caf%C3%A9%20%26%20co");
        assert_eq!(percent_encoded("a-b_c.d~"), "a-b_c.d~");
    }

    #[test]
    fn results_are_grouped_by_runs_of_one_chat() {
        let reply: SearchReply = serde_json::from_str(
            r#"{"results": [
                {"chat_type": "private", "chat": "bob", "message": {"id": 9, "author": "bob",
                 "pub_date": "2026-11-29T08:06:05.000Z", "message_text": "deploy now"}},
                {"chat_type": "public", "chat": "public_chat", "message": {"id": 4,
                 "author": "alice", "pub_date": "2026-11-29T08:00:00.000Z",
                 "message_text": "deployed"}}
            ], "more": true}"#,
        )
        .unwrap();
        let text = render(&reply, Zone::Utc, "carol");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "in the private chat with bob:");
        assert!(lines[1].ends_with("#9  bob: deploy now"), "{text}");
        assert_eq!(lines[2], "in the public chat:");
        assert!(lines[3].ends_with("#4  alice: deployed"), "{text}");
        assert!(lines[4].contains("older messages match"), "{text}");
        let none = SearchReply {
            results: Vec::new(),
            more: false,
        };
        assert_eq!(render(&none, Zone::Utc, "carol"), "no messages match\n");
    }
}
