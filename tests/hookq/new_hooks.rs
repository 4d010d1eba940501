//! A hook created a moment ago is found at once (SPEC §4, issue #16 item
//! 12): a running server looks an unknown token up in the store before
//! answering 404.

use crate::util::{Env, TestServer};

#[test]
fn a_hook_created_a_moment_ago_is_found_at_once() {
    let env = Env::new();
    let server = TestServer::start(&env);
    for i in 0..8 {
        let name = format!("new-{i}");
        let path = env.hook(&name, &[]);
        let reply = server.post(&path, "text/plain", b"first");
        assert_eq!(reply.status, 200, "{name}: {}", reply.text());
    }
    // Tokens that no hook has are still 404, whatever their shape.
    for path in ["/wh/abcdefghijklmnopqrstuvwxyz012345", "/wh/nope", "/wh/"] {
        let reply = server.post(path, "text/plain", b"x");
        assert_eq!(
            (reply.status, reply.text().as_str()),
            (404, "Webhook not found."),
            "{path}"
        );
    }
    server.stop();
    for i in 0..8 {
        let events = env.json(&["hooks", "events", &format!("new-{i}")]);
        assert_eq!(events.as_array().unwrap().len(), 1);
    }
}
