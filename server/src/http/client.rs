//! Who the client is, for the per-IP limits: the TCP peer; or, when the peer is a trusted
//! reverse proxy (`--trusted-proxy`), the right-most address of `X-Forwarded-For` that is not
//! itself trusted. Anything else in `X-Forwarded-For` is ignored, so a client cannot choose its
//! own bucket. IPv6 clients are keyed by their /64 (one subscriber's whole network).

use std::net::IpAddr;

use actix_web::HttpRequest;
use ipnet::IpNet;

/// The rate-limit key of a request's client.
pub fn client_key(req: &HttpRequest, trusted: &[IpNet]) -> String {
    let peer = req.peer_addr().map(|a| a.ip());
    let forwarded = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok());
    match client_addr(peer, forwarded, trusted) {
        Some(ip) => key(ip),
        None => String::new(),
    }
}

/// The client address by the rule above.
pub fn client_addr<'a>(
    peer: Option<IpAddr>,
    forwarded: impl Iterator<Item = &'a str>,
    trusted: &[IpNet],
) -> Option<IpAddr> {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|n| n.contains(&canonical(*ip)));
    let peer = peer.map(canonical)?;
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let hops: Vec<&str> = forwarded
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) => {
                client = canonical(ip);
                if !is_trusted(&client) {
                    return Some(client);
                }
            }
            // Not an address (a proxy wrote "unknown", or the client wrote garbage): what is
            // left of it cannot be trusted either.
            Err(_) => return Some(client),
        }
    }
    Some(client)
}

/// IPv4-mapped IPv6 addresses are IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The limiter key of an address: IPv4 as is, IPv6 by its /64.
pub fn key(ip: IpAddr) -> String {
    match canonical(ip) {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

/// Parses a `--trusted-proxy` value: a CIDR (`10.0.0.0/8`) or a single address.
pub fn parse_trusted(s: &str) -> Result<IpNet, String> {
    let s = s.trim();
    s.parse::<IpNet>()
        .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("{s:?} is not an address or a CIDR range (e.g. 10.0.0.0/8)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|s| parse_trusted(s).unwrap()).collect()
    }

    #[test]
    fn forwarded_for_counts_only_from_a_trusted_peer() {
        let trusted = nets(&["10.0.0.0/8", "127.0.0.1"]);
        let xff = |v: &'static str| std::iter::once(v);
        // An untrusted peer: the header is ignored, whatever it says.
        assert_eq!(
            client_addr(addr("203.0.113.9"), xff("1.2.3.4"), &trusted),
            addr("203.0.113.9")
        );
        // A trusted proxy: the right-most untrusted hop; a spoofed left part is ignored.
        assert_eq!(
            client_addr(
                addr("10.1.1.1"),
                xff("6.6.6.6, 198.51.100.7, 10.2.2.2"),
                &trusted
            ),
            addr("198.51.100.7")
        );
        // Several header lines read as one list.
        assert_eq!(
            client_addr(
                addr("127.0.0.1"),
                ["6.6.6.6", "198.51.100.8"].into_iter(),
                &trusted
            ),
            addr("198.51.100.8")
        );
        // Garbage stops the walk at the last good hop.
        assert_eq!(
            client_addr(addr("10.1.1.1"), xff("unknown, 10.3.3.3"), &trusted),
            addr("10.3.3.3")
        );
        // No header behind a proxy: the proxy itself.
        assert_eq!(
            client_addr(addr("10.1.1.1"), std::iter::empty(), &trusted),
            addr("10.1.1.1")
        );
        // Without trusted proxies nothing changes.
        assert_eq!(
            client_addr(addr("10.1.1.1"), xff("1.2.3.4"), &[]),
            addr("10.1.1.1")
        );
    }

    #[test]
    fn ipv6_clients_share_their_64_and_mapped_v4_is_v4() {
        assert_eq!(
            key("2001:db8:1:2:aaaa::1".parse().unwrap()),
            "2001:db8:1:2::/64"
        );
        assert_eq!(
            key("2001:db8:1:2:ffff:ffff:ffff:ffff".parse().unwrap()),
            "2001:db8:1:2::/64"
        );
        assert_ne!(key("2001:db8:1:3::1".parse().unwrap()), "2001:db8:1:2::/64");
        assert_eq!(key("::ffff:192.0.2.1".parse().unwrap()), "192.0.2.1");
        assert!(parse_trusted("not a range").is_err());
    }
}
