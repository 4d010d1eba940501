//! What the command line parses: durations, sizes, address ranges, headers
//! and times. Never a panic, and what is written back reads back the same.

#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use hookq::cidr::Cidr;
use hookq::units::{Duration, Size};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (&str, u128)| {
    let (text, bits) = input;
    if let Ok(d) = text.parse::<Duration>() {
        assert!(d.millis() >= 0);
        assert_eq!(d.to_string().parse::<Duration>(), Ok(d), "{text:?}");
        let _ = d.std();
    }
    if let Ok(s) = text.parse::<Size>() {
        assert_eq!(s.to_string().parse::<Size>(), Ok(s), "{text:?}");
    }
    if let Ok(net) = text.parse::<Cidr>() {
        assert_eq!(net.to_string().parse::<Cidr>(), Ok(net), "{text:?}");
        let _ = net.contains(IpAddr::V6(Ipv6Addr::from(bits)));
        let _ = net.contains(IpAddr::V4(Ipv4Addr::from(bits as u32)));
    }
    if let Ok((name, value)) = hookq::cli::parse_header(text) {
        assert!(!name.is_empty() && hookq::respond::check_syntax(&name, &value).is_ok());
    }
    let _ = hookq::clock::parse(text);
});
