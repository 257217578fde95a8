//! The few agora calls the benchmark makes besides listening: registering
//! users, reading the event head, posting a public message (or, issue 25,
//! making a room, joining it, posting to it).

use crate::conn::{self, bad, Arrival, Conn};
use std::io;
use std::net::SocketAddr;

/// Registers `count` users named `{prefix}{i}` over `parallel` connections;
/// their tokens, in order.
pub async fn register(
    addr: SocketAddr,
    prefix: &str,
    count: usize,
    parallel: usize,
) -> io::Result<Vec<String>> {
    let parallel = parallel.clamp(1, count.max(1));
    let mut workers = Vec::new();
    for first in 0..parallel {
        let prefix = prefix.to_string();
        workers.push(tokio::spawn(async move {
            let mut conn = Conn::connect(addr).await?;
            let mut tokens = Vec::new();
            for i in (first..count).step_by(parallel) {
                let body = format!("{{\"user_name\": \"{prefix}{i}\"}}");
                let answer = conn.call(&conn::post("/get-token", None, &body)).await?;
                let token = conn::string_after(&answer.body, b"\"token\":\"")
                    .filter(|_| answer.status == 200)
                    .ok_or_else(|| bad("/get-token did not answer a token"))?;
                tokens.push((i, token));
            }
            io::Result::Ok(tokens)
        }));
    }
    let mut tokens = vec![String::new(); count];
    for worker in workers {
        for (i, token) in worker.await.map_err(io::Error::other)?? {
            tokens[i] = token;
        }
    }
    Ok(tokens)
}

/// The newest event id (`GET /events` without `since`).
pub async fn event_head(conn: &mut Conn, token: &str) -> io::Result<u64> {
    let answer = conn.call(&conn::get("/events", token, false)).await?;
    conn::number_after(&answer.body, b"\"next\":")
        .filter(|_| answer.status == 200)
        .ok_or_else(|| bad("GET /events did not answer a head"))
}

/// A public message the server acknowledged.
#[derive(Clone, Copy, Debug)]
pub struct Sent {
    pub message_id: u64,
    /// When its request was about to be written (ns since the epoch).
    pub posted: i64,
    /// When its 201 arrived.
    pub arrival: Arrival,
}

/// Posts a public message and reads its 201.
pub async fn send_public(conn: &mut Conn, token: &str, text: &str) -> io::Result<Sent> {
    send(conn, token, text, None).await
}

/// Posts a message to the public chat, or to `to` (a room), and reads its
/// 201.
pub async fn send(conn: &mut Conn, token: &str, text: &str, to: Option<&str>) -> io::Result<Sent> {
    let body = match to {
        None => format!("{{\"message\": \"{text}\"}}"),
        Some(to) => format!("{{\"message\": \"{text}\", \"send_to\": \"{to}\"}}"),
    };
    let posted = crate::stamp::wall_ns();
    let answer = conn.call(&conn::post("/send", Some(token), &body)).await?;
    let message_id = conn::number_after(&answer.body, b"\"message_id\":")
        .filter(|_| answer.status == 201)
        .ok_or_else(|| {
            bad(&format!(
                "/send answered {}: {}",
                answer.status,
                String::from_utf8_lossy(&answer.body)
            ))
        })?;
    Ok(Sent {
        message_id,
        posted,
        arrival: answer.arrival,
    })
}

/// (issue 25) `token` makes the public room `room` (`201`).
pub async fn create_room(addr: SocketAddr, token: &str, room: &str) -> io::Result<()> {
    let mut conn = Conn::connect(addr).await?;
    let body = format!("{{\"room\": \"{room}\"}}");
    let answer = conn.call(&conn::post("/rooms", Some(token), &body)).await?;
    if answer.status != 201 {
        return Err(bad(&format!("POST /rooms answered {}", answer.status)));
    }
    Ok(())
}

/// (issue 25) Every one of `tokens` joins `room`, over `parallel`
/// connections.
pub async fn join_all(
    addr: SocketAddr,
    tokens: &[String],
    room: &str,
    parallel: usize,
) -> io::Result<()> {
    let parallel = parallel.clamp(1, tokens.len().max(1));
    let mut workers = Vec::new();
    for first in 0..parallel {
        let mine: Vec<String> = tokens
            .iter()
            .skip(first)
            .step_by(parallel)
            .cloned()
            .collect();
        let body = format!("{{\"room\": \"{room}\"}}");
        workers.push(tokio::spawn(async move {
            let mut conn = Conn::connect(addr).await?;
            for token in mine {
                let answer = conn.call(&conn::post("/join", Some(&token), &body)).await?;
                if answer.status != 200 {
                    return Err(bad(&format!("POST /join answered {}", answer.status)));
                }
            }
            io::Result::Ok(())
        }));
    }
    for worker in workers {
        worker.await.map_err(io::Error::other)??;
    }
    Ok(())
}
