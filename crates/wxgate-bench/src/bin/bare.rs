//! The baseline: a bare hyper server that reads the request body and returns a fixed reply without parsing,
//! verifying or routing anything. It is the ceiling for any server on this machine.

use std::convert::Infallible;

use bytes::Bytes;
use clap::Parser;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

/// Arguments.
#[derive(Parser)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:18081")]
    listen: String,
    /// Serve the fixed body through axum::serve instead of hyper directly (to see the framework's share).
    #[arg(long)]
    axum: bool,
}

const FIXED: &str = "<xml><ToUserName><![CDATA[oBenchUser000000000000000001]]></ToUserName>\
<FromUserName><![CDATA[gh_0000000000000001]]></FromUserName><CreateTime>1700000000</CreateTime>\
<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[echo: hello wxgate 1]]></Content></xml>";

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let listener = tokio::net::TcpListener::bind(&args.listen).await?;
    eprintln!("bare server on {}", listener.local_addr()?);
    if args.axum {
        let app = axum::Router::new().fallback(|_body: Bytes| async { FIXED });
        return axum::serve(listener, app).await;
    }
    loop {
        let (stream, _) = listener.accept().await?;
        tokio::spawn(async move {
            let service = service_fn(|req: Request<hyper::body::Incoming>| async move {
                let _ = req.into_body().collect().await;
                Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(FIXED.as_bytes()))))
            });
            let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
        });
    }
}
