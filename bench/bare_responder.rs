//! The ceiling for `hookq hooks serve`: a tiny_http server that reads each
//! request's body and answers 200, storing nothing. Same server library and
//! the same number of request threads as hookq (8 × cores by default).
//!
//!     cargo run --release --example bare_responder -- [ADDR] [THREADS]
//!
//! Runs until killed.

// Its report is its stderr.
#![allow(clippy::print_stderr)]

use std::sync::Arc;
use std::thread;

fn main() {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8081".into());
    let threads: usize = args.next().map_or_else(
        || 8 * thread::available_parallelism().map_or(2, |n| n.get()),
        |n| n.parse().expect("THREADS must be a number"),
    );
    let server = Arc::new(tiny_http::Server::http(&addr).unwrap_or_else(|e| {
        eprintln!("bare_responder: could not listen on {addr}: {e}");
        std::process::exit(1);
    }));
    eprintln!("bare_responder: listening on {addr} with {threads} request threads");
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let server = server.clone();
            thread::spawn(move || {
                let mut body = Vec::with_capacity(64 << 10);
                while let Ok(mut request) = server.recv() {
                    body.clear();
                    let ok = request.as_reader().read_to_end(&mut body).is_ok();
                    let status = if ok { 200 } else { 400 };
                    let response =
                        tiny_http::Response::from_string("Accepted").with_status_code(status);
                    let _ = request.respond(response);
                }
            })
        })
        .collect();
    for handle in handles {
        let _ = handle.join();
    }
}
