//! The page's style, script and icon, inside the binary.

use super::http::Reply;

const CSS: &str = include_str!("assets/app.css");
const JS: &str = include_str!("assets/app.js");
const ICON: &str = include_str!("assets/icon.svg");

pub fn get(name: &str) -> Reply {
    let (content_type, body) = match name {
        "app.css" => ("text/css; charset=utf-8", CSS),
        "app.js" => ("text/javascript; charset=utf-8", JS),
        "icon.svg" => ("image/svg+xml", ICON),
        _ => return Reply::error(404, "Not found."),
    };
    Reply::with(200, content_type, body.as_bytes().to_vec())
}
