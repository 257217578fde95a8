//! A bare hyper 1.x server answering a fixed JSON body to any request: the
//! yardstick `bench/run.sh` measures agora against, in the same run.
//!
//!     hyper-baseline PORT [THREADS]     # THREADS = 1: current-thread runtime

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use tokio::net::TcpListener;

const BODY: &[u8] = br#"{"connected_as":"alice","chats":[{"chat_with":"public_chat","type":"public","messages_total":0,"unread_messages":0}],"cautions":0,"banned_until":null,"public_messages_left":20,"quota_resets_at":null}"#;

async fn answer(_: Request<hyper::body::Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let mut response = Response::new(Full::new(Bytes::from_static(BODY)));
    response
        .headers_mut()
        .insert("content-type", "application/json".parse().unwrap());
    Ok(response)
}

async fn serve(port: u16) {
    let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    loop {
        let (stream, _) = listener.accept().await.unwrap();
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service_fn(answer))
                .await;
        });
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().and_then(|p| p.parse().ok()).unwrap_or(18081);
    let threads: usize = args.next().and_then(|t| t.parse().ok()).unwrap_or(2);
    let runtime = if threads <= 1 {
        tokio::runtime::Builder::new_current_thread().enable_all().build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()
    };
    runtime.unwrap().block_on(serve(port));
}
