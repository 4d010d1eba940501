//! Client address ranges for `--allow-ip`.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// An address range, `10.0.0.0/8`, `::1/128`, or a bare address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Compared as IPv6, where an IPv4 address is the IPv4-mapped
    /// `::ffff:a.b.c.d` it becomes on a dual-stack socket: `127.0.0.0/8`
    /// and `::ffff:127.0.0.0/104` are the same range, and each holds both
    /// `127.0.0.1` and `::ffff:127.0.0.1`.
    pub fn contains(&self, addr: IpAddr) -> bool {
        let (net, prefix) = as_v6(self.addr, self.prefix);
        let (ip, _) = as_v6(addr, 0);
        masked(net, prefix) == masked(ip, prefix)
    }
}

/// An address as 128 bits, with the prefix length it has there.
fn as_v6(addr: IpAddr, prefix: u8) -> (u128, u8) {
    match addr {
        IpAddr::V4(v4) => (u128::from(v4.to_ipv6_mapped()), prefix + 96),
        IpAddr::V6(v6) => (u128::from(v6), prefix),
    }
}

fn masked(bits: u128, prefix: u8) -> u128 {
    if prefix == 0 {
        0
    } else {
        bits >> (128 - prefix)
    }
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let invalid = || {
            format!(
                "invalid address range {text:?} (expected e.g. 10.0.0.0/8, 192.168.1.7 or ::1/128)"
            )
        };
        let (addr, prefix) = match text.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text, None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| invalid())?;
        let width = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => p
                .parse::<u8>()
                .ok()
                .filter(|&p| p <= width)
                .ok_or_else(invalid)?,
            Some(_) => return Err(invalid()),
            None => width,
        };
        Ok(Cidr { addr, prefix })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn matches_ranges() {
        let net: Cidr = "10.1.0.0/16".parse().unwrap();
        assert!(net.contains(ip("10.1.200.3")));
        assert!(!net.contains(ip("10.2.0.1")));
        assert!(net.contains(ip("::ffff:10.1.0.9")));
        let one: Cidr = "127.0.0.1".parse().unwrap();
        assert!(one.contains(ip("127.0.0.1")));
        assert!(!one.contains(ip("127.0.0.2")));
        let any: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(any.contains(ip("8.8.8.8")));
        assert!(!any.contains(ip("::1")));
        let v6: Cidr = "fd00::/8".parse().unwrap();
        assert!(v6.contains(ip("fd12::1")));
        assert!(!v6.contains(ip("fe80::1")));
        assert_eq!(net.to_string(), "10.1.0.0/16");
    }

    #[test]
    fn ipv4_mapped_addresses_are_the_ipv4_addresses_they_carry() {
        let mapped_one: Cidr = "::ffff:127.0.0.1/128".parse().unwrap();
        assert!(mapped_one.contains(ip("::ffff:127.0.0.1")));
        assert!(mapped_one.contains(ip("127.0.0.1")));
        assert!(!mapped_one.contains(ip("127.0.0.2")));
        let v4: Cidr = "127.0.0.0/8".parse().unwrap();
        assert!(v4.contains(ip("::ffff:127.0.0.1")));
        assert!(!v4.contains(ip("::ffff:128.0.0.1")));
        assert!(
            !v4.contains(ip("::127.0.0.1")),
            "IPv4-compatible is not mapped"
        );
        let mapped_net: Cidr = "::ffff:10.0.0.0/104".parse().unwrap();
        assert!(mapped_net.contains(ip("10.200.0.1")));
        assert!(!mapped_net.contains(ip("11.0.0.1")));
        let everything: Cidr = "::/0".parse().unwrap();
        assert!(everything.contains(ip("8.8.8.8")));
    }

    #[test]
    fn rejects_invalid_ranges() {
        for bad in [
            "",
            "10.0.0.0/33",
            "10.0.0/8",
            "::1/129",
            "10.0.0.0/",
            "10.0.0.0/-1",
            "host",
        ] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad}");
        }
    }
}
