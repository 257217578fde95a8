//! `GET /search`'s body (issue 27): `{"results": [{"chat_type", "chat",
//! "message"}], "more"}`, each message as `/connect` shows it.

use super::encode::MessageBody;
use crate::search::{chat_names, SearchHit};
use serde::{Serialize, Serializer};

#[derive(Serialize)]
pub(super) struct SearchBody<'a> {
    results: Hits<'a>,
    more: bool,
}

impl<'a> SearchBody<'a> {
    pub(super) fn new(results: &'a [SearchHit], more: bool) -> SearchBody<'a> {
        SearchBody {
            results: Hits(results),
            more,
        }
    }
}

struct Hits<'a>(&'a [SearchHit]);

impl Serialize for Hits<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|hit| {
            let (chat_type, chat) = chat_names(&hit.chat);
            HitBody {
                chat_type,
                chat,
                message: MessageBody::from(&hit.message),
            }
        }))
    }
}

#[derive(Serialize)]
struct HitBody<'a> {
    chat_type: &'static str,
    chat: &'a str,
    message: MessageBody<'a>,
}
