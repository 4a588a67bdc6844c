//! The `cidr` modifier: a network such as `10.0.0.0/8` or `fd00::/8` parsed and checked.

use super::Problem;
use crate::ir::Cidr;

pub(super) fn parse_cidr(text: &str) -> Result<Cidr, Problem> {
    let bad = |why: String| {
        Problem::new(
            format!("bad CIDR network `{text}`: {why}"),
            "write a network such as `10.0.0.0/8` or `2001:db8::/32`",
        )
    };
    let (addr, len) = match text.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (text, None),
    };
    let addr: std::net::IpAddr = addr
        .trim()
        .parse()
        .map_err(|_| bad("not an IP address".into()))?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let len: u8 = match len {
        Some(l) => l
            .trim()
            .parse()
            .ok()
            .filter(|l| *l <= max)
            .ok_or_else(|| bad(format!("prefix length must be 0 to {max}")))?,
        None => max,
    };
    let cidr = match addr {
        std::net::IpAddr::V4(a) => Cidr::V4(u32::from(a), len),
        std::net::IpAddr::V6(a) => Cidr::V6(u128::from(a), len),
    };
    let host_bits = match cidr {
        Cidr::V4(a, l) => l < 32 && a & (u32::MAX >> l) != 0,
        Cidr::V6(a, l) => l < 128 && a & (u128::MAX >> l) != 0,
    };
    if host_bits {
        return Err(bad("host bits are set".into()));
    }
    Ok(cidr)
}
