//! Who the client is (SPEC §4 `--trust-proxy`, `--allow-ip`; issue #16
//! item 5).

use crate::util::{http, Env, TestServer};

#[test]
fn trust_proxy_believes_only_the_last_forwarded_address_of_all_lines() {
    let env = Env::new();
    let path = env.hook(
        "doc",
        &["--allow-ip", "203.0.113.0/24", "--rate-limit", "0"],
    );
    let server = TestServer::with(&env, |c| c.trust_proxy = true);
    let post = |forwarded: &[&str]| {
        let headers: Vec<(&str, &str)> =
            forwarded.iter().map(|v| ("X-Forwarded-For", *v)).collect();
        http(server.addr, "POST", &path, &headers, b"").status
    };
    // The client wrote the first line; the proxy appended the second.
    assert_eq!(post(&["203.0.113.9", "10.9.9.9"]), 403);
    assert_eq!(post(&["203.0.113.9, 10.9.9.9"]), 403);
    assert_eq!(post(&["10.9.9.9", "198.51.100.1, 203.0.113.9"]), 200);
    assert_eq!(
        post(&["203.0.113.9:4711"]),
        200,
        "a port is not part of the address"
    );
    // A last entry that is not an address: the client is unknown, refused,
    // never taken for the proxy (127.0.0.1) or for an earlier entry.
    assert_eq!(post(&["203.0.113.9, unknown"]), 403);
    assert_eq!(post(&["203.0.113.9", ""]), 403);
    server.stop();
    assert_eq!(
        env.json(&["hooks", "events", "doc"])
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn ipv4_mapped_ranges_and_clients_match_as_the_ipv4_addresses_they_are() {
    let env = Env::new();
    let mapped_one = env.hook("mapped", &["--allow-ip", "::ffff:127.0.0.1/128"]);
    let mapped_net = env.hook("mapped-net", &["--allow-ip", "::ffff:10.0.0.0/104"]);
    let v4 = env.hook("v4", &["--allow-ip", "127.0.0.0/8"]);
    // The server listens on 127.0.0.1: the peer is the IPv4 127.0.0.1.
    let direct = TestServer::start(&env);
    assert_eq!(http(direct.addr, "POST", &mapped_one, &[], b"").status, 200);
    assert_eq!(http(direct.addr, "POST", &mapped_net, &[], b"").status, 403);
    direct.stop();
    let proxied = TestServer::with(&env, |c| c.trust_proxy = true);
    let from = |path: &str, client: &str| {
        http(
            proxied.addr,
            "POST",
            path,
            &[("X-Forwarded-For", client)],
            b"",
        )
        .status
    };
    assert_eq!(from(&mapped_one, "::ffff:127.0.0.1"), 200);
    assert_eq!(from(&mapped_one, "127.0.0.1"), 200);
    assert_eq!(from(&v4, "::ffff:127.0.0.1"), 200);
    assert_eq!(from(&mapped_net, "10.1.2.3"), 200);
    assert_eq!(from(&mapped_net, "::ffff:11.1.2.3"), 403);
    proxied.stop();
}
