//! A TCP proxy on 127.0.0.1 in front of a real server: it passes requests and
//! answers through, except the answer to the first request whose head starts
//! with a given text, which it swallows and closes the connection instead.
//! The server has then carried that request out and the client never hears of
//! it: the case in which a client must not send the request again.

use super::Server;
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

pub struct CuttingProxy {
    pub url: String,
    cut: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl CuttingProxy {
    pub fn start(server: &Server, cut_at: &'static str) -> CuttingProxy {
        let upstream = server
            .url
            .strip_prefix("http://")
            .expect("server url is http://host:port")
            .to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let cut = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (cuts, stopping) = (cut.clone(), stop.clone());
        thread::spawn(move || {
            while !stopping.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((client, _)) => {
                        let (upstream, cuts) = (upstream.clone(), cuts.clone());
                        thread::spawn(move || {
                            let _ = relay(client, &upstream, cut_at, &cuts);
                        });
                    }
                    Err(_) => thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        CuttingProxy { url, cut, stop }
    }

    /// How many answers were swallowed (at most one).
    pub fn cuts(&self) -> usize {
        self.cut.load(Ordering::SeqCst)
    }
}

impl Drop for CuttingProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// One client connection: a request, then its answer, in turn, until either
/// side closes or goes quiet for 30 s.
fn relay(
    mut client: TcpStream,
    upstream: &str,
    cut_at: &str,
    cuts: &AtomicUsize,
) -> io::Result<()> {
    let quiet = Some(Duration::from_secs(30));
    client.set_nonblocking(false)?;
    client.set_read_timeout(quiet)?;
    let mut server = TcpStream::connect(upstream)?;
    server.set_read_timeout(quiet)?;
    while let Some(request) = read_message(&mut client)? {
        server.write_all(&request)?;
        let Some(answer) = read_message(&mut server)? else {
            return Ok(());
        };
        if request.starts_with(cut_at.as_bytes())
            && cuts
                .compare_exchange(0, 1, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
        {
            return Ok(()); // both sockets close, the answer unsent
        }
        client.write_all(&answer)?;
    }
    Ok(())
}

/// One HTTP/1.1 message framed by `Content-Length` (the client and the server
/// both always send it), head and body; `None` at a clean end of stream.
fn read_message(stream: &mut TcpStream) -> io::Result<Option<Vec<u8>>> {
    let mut message = Vec::new();
    let mut byte = [0u8; 1];
    while !message.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte)? == 0 {
            return match message.is_empty() {
                true => Ok(None),
                false => Err(io::ErrorKind::UnexpectedEof.into()),
            };
        }
        message.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&message).to_ascii_lowercase();
    let length: usize = head
        .split("\r\ncontent-length:")
        .nth(1)
        .and_then(|rest| rest.split("\r\n").next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    let start = message.len();
    message.resize(start + length, 0);
    stream.read_exact(&mut message[start..])?;
    Ok(Some(message))
}
