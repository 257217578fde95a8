//! The typed calls of API.md over one [`Connection`]. A POST carries an
//! `Idempotency-Key` and is retried safely (see `retries`).

use crate::failure::Failure;
use crate::http::Connection;
use crate::retries;
use crate::wire::{
    CommentReply, ConnectReply, DeleteReply, EditReply, EventPage, ReactReply, ReadReply, Refusal,
    ReportReply, SendReply, Status, TokenReply,
};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use std::time::Duration;

/// A successful answer: typed, and the body as the server sent it (`--json`).
#[derive(Debug)]
pub struct Reply<T> {
    pub value: T,
    pub raw: Vec<u8>,
}

pub struct Api {
    http: Connection,
    token: Option<String>,
}

impl Api {
    pub fn new(http: Connection, token: Option<String>) -> Api {
        Api { http, token }
    }

    /// The same user on a connection of its own whose reads wait `hold`
    /// longer, for long-polls the server holds up to that long.
    pub fn holding(&self, hold: Duration) -> Api {
        Api::new(self.http.holding(hold), self.token.clone())
    }

    pub fn get_token(&mut self, user_name: &str) -> Result<Reply<TokenReply>, Failure> {
        self.call(
            "POST",
            "/get-token",
            Some(json!({ "user_name": user_name })),
        )
    }

    /// `chat_with`: `None` for the public chat.
    pub fn connect(
        &mut self,
        chat_with: Option<&str>,
        messages_number: Option<u32>,
    ) -> Result<Reply<ConnectReply>, Failure> {
        let mut body = json!({});
        if let Some(user) = chat_with {
            body["chat_with"] = json!(user);
        }
        if let Some(n) = messages_number {
            body["messages_number"] = json!(n);
        }
        self.call("POST", "/connect", Some(body))
    }

    pub fn status(&mut self) -> Result<Reply<Status>, Failure> {
        self.call("GET", "/status", None)
    }

    /// `send_to`: `None` for the public chat.
    pub fn send(&mut self, send_to: Option<&str>, text: &str) -> Result<Reply<SendReply>, Failure> {
        let mut body = json!({ "message": text });
        if let Some(user) = send_to {
            body["send_to"] = json!(user);
        }
        self.call("POST", "/send", Some(body))
    }

    pub fn comment(&mut self, message_id: u64, text: &str) -> Result<Reply<CommentReply>, Failure> {
        let body = json!({ "message_id": message_id, "comment": text });
        self.call("POST", "/comment", Some(body))
    }

    pub fn report(&mut self, user: &str, private: bool) -> Result<Reply<ReportReply>, Failure> {
        let chat_type = if private { "private" } else { "public" };
        let body = json!({ "report_on": user, "chat_type": chat_type });
        self.call("POST", "/report", Some(body))
    }

    /// `since`: `None` asks for the head (the cursor of "from now on").
    /// `wait`: how long the server may hold the request for an event to come.
    pub fn events(
        &mut self,
        since: Option<u64>,
        wait: Duration,
    ) -> Result<Reply<EventPage>, Failure> {
        let target = match since {
            None => "/events".to_owned(),
            Some(cursor) => format!("/events?since={cursor}&timeout={}", wait.as_secs()),
        };
        self.call("GET", &target, None)
    }

    /// Moves the read position in a chat (`None`: the public chat) up to
    /// `up_to`.
    pub fn read(
        &mut self,
        chat_with: Option<&str>,
        up_to: u64,
    ) -> Result<Reply<ReadReply>, Failure> {
        let mut body = json!({ "up_to": up_to });
        if let Some(user) = chat_with {
            body["chat_with"] = json!(user);
        }
        self.call("POST", "/read", Some(body))
    }

    // (issue 26)
    /// `comment`: `id` is a comment's rather than a message's.
    pub fn edit(
        &mut self,
        id: u64,
        comment: bool,
        text: &str,
    ) -> Result<Reply<EditReply>, Failure> {
        let body = if comment {
            json!({ "comment_id": id, "comment": text })
        } else {
            json!({ "message_id": id, "message": text })
        };
        self.call("POST", "/edit", Some(body))
    }

    pub fn delete(&mut self, id: u64, comment: bool) -> Result<Reply<DeleteReply>, Failure> {
        let field = if comment { "comment_id" } else { "message_id" };
        self.call("POST", "/delete", Some(json!({ field: id })))
    }

    pub fn react(
        &mut self,
        message_id: u64,
        emoji: &str,
        remove: bool,
    ) -> Result<Reply<ReactReply>, Failure> {
        let body = json!({ "message_id": message_id, "emoji": emoji, "remove": remove });
        self.call("POST", "/react", Some(body))
    }

    /// (issue 28) `POST /login`: no token needed.
    pub fn login(
        &mut self,
        user_name: &str,
        password: &str,
        device: &str,
    ) -> Result<Reply<crate::sessions::LoggedIn>, Failure> {
        let body = json!({ "user_name": user_name, "password": password, "device": device });
        self.call("POST", "/login", Some(body))
    }

    pub fn set_password(
        &mut self,
        password: &str,
        old_password: Option<&str>,
    ) -> Result<Reply<Value>, Failure> {
        let mut body = json!({ "password": password });
        if let Some(old) = old_password {
            body["old_password"] = json!(old);
        }
        self.call("POST", "/password", Some(body))
    }

    pub fn sessions(&mut self) -> Result<Reply<crate::sessions::Sessions>, Failure> {
        self.call("GET", "/sessions", None)
    }

    /// `device_id`: `None` signs out the caller's own token.
    pub fn logout(&mut self, device_id: Option<&str>) -> Result<Reply<Value>, Failure> {
        let body = match device_id {
            Some(id) => json!({ "device_id": id }),
            None => json!({}),
        };
        self.call("POST", "/logout", Some(body))
    }

    /// A GET of `target` (path and query) for the calls that live in
    /// modules of their own (`search`).
    pub fn get<T: DeserializeOwned>(&mut self, target: &str) -> Result<Reply<T>, Failure> {
        self.call("GET", target, None)
    }

    pub(crate) fn call<T: DeserializeOwned>(
        &mut self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Result<Reply<T>, Failure> {
        let body = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        let authorization = self.token.as_ref().map(|t| format!("Bearer {t}"));
        let mut headers = vec![
            ("Content-Type", "application/json"),
            ("Accept", "application/json"),
            (
                "User-Agent",
                concat!("agora-cli/", env!("CARGO_PKG_VERSION")),
            ),
        ];
        if let Some(value) = &authorization {
            headers.push(("Authorization", value));
        }
        // Every POST has a key of its own, kept across its retries.
        let key = (method == "POST").then(retries::fresh_key);
        if let Some(key) = &key {
            headers.push(("Idempotency-Key", key));
        }
        let mut retry = 0;
        let response = loop {
            let result = self.http.request(method, path, &headers, &body);
            let retry_after = match &result {
                Ok(response) if response.status == 503 => response
                    .header("Retry-After")
                    .and_then(|v| v.trim().parse().ok()),
                Ok(_) => break result,
                Err(_) => None,
            };
            if key.is_none() || retry == retries::RETRIES {
                break result;
            }
            std::thread::sleep(retries::wait_before(retry, retry_after));
            retry += 1;
        }
        .map_err(|e| Failure::Unreachable(e.to_string()))?;
        if response.status >= 400 {
            let retry_after = response.header("Retry-After").map(str::to_owned);
            return Err(Failure::Refused(Box::new(Refusal::new(
                response.status,
                response.body,
                retry_after.as_deref(),
            ))));
        }
        let value = serde_json::from_slice(&response.body).map_err(|e| {
            Failure::Unreachable(format!(
                "{} answered {method} {path} with {} and a body agora cannot read ({e})",
                self.http.server(),
                response.status
            ))
        })?;
        Ok(Reply {
            value,
            raw: response.body,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server_url::ServerUrl;
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::{TcpListener, TcpStream};

    /// Reads one request's head (and its `Content-Length` body); returns
    /// its `Idempotency-Key`.
    fn read_key(reader: &mut BufReader<TcpStream>) -> Option<String> {
        let (mut key, mut length) = (None, 0);
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(": ") {
                match name.to_ascii_lowercase().as_str() {
                    "idempotency-key" => key = Some(value.to_owned()),
                    "content-length" => length = value.parse().unwrap(),
                    _ => {}
                }
            }
        }
        reader.read_exact(&mut vec![0u8; length]).unwrap();
        key
    }

    #[test]
    fn a_post_answered_503_is_sent_again_with_the_same_key() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let mut writer = stream.try_clone().unwrap();
            let mut reader = BufReader::new(stream);
            let first = read_key(&mut reader);
            let busy = r#"{"error":"busy","code":"store_unavailable"}"#;
            write!(
                writer,
                "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 0\r\nContent-Length: {}\r\n\r\n{busy}",
                busy.len()
            )
            .unwrap();
            let again = read_key(&mut reader);
            let sent =
                r#"{"info":"message sent","message_id":7,"pub_date":"2026-12-01T07:51:18.268Z"}"#;
            write!(
                writer,
                "HTTP/1.1 201 Created\r\nContent-Length: {}\r\n\r\n{sent}",
                sent.len()
            )
            .unwrap();
            (first, again)
        });
        let url = ServerUrl::parse(&format!("http://127.0.0.1:{port}")).unwrap();
        let http = Connection::new(url, Duration::from_secs(5));
        let mut api = Api::new(http, Some("0".repeat(32)));
        let sent = api.send(None, "hi").unwrap();
        assert_eq!(sent.value.message_id, 7);
        let (first, again) = server.join().unwrap();
        assert!(first.is_some(), "the POST carries a key");
        assert_eq!(first, again, "the retry carries the same key");
    }
}
