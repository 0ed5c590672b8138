//! How many connections the server holds at once, in all and from one address.
//!
//! Each open connection costs a file descriptor and some memory, whatever it sends. Someone
//! holding thousands of them open (slowloris) must not use up the descriptors that the
//! next observer's connection needs, nor one address all of them: past either cap a new
//! connection is refused at once.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The connections open now, and the caps they are held to.
#[derive(Clone)]
pub struct Gate {
    capacity: usize,
    total: Arc<Semaphore>,
    per_address: usize,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

/// One admitted connection: its place is given back when this is dropped.
pub struct Ticket {
    _total: OwnedSemaphorePermit,
    address: Option<IpAddr>,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl Gate {
    /// At most `total` connections, and `per_address` from one address (0: no cap per
    /// address, for a server behind a proxy whose own address every connection has).
    pub fn new(total: usize, per_address: usize) -> Gate {
        Gate {
            capacity: total,
            total: Arc::new(Semaphore::new(total)),
            per_address,
            open: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// A place for a connection from `peer`, or None when a cap is reached.
    pub fn admit(&self, peer: IpAddr) -> Option<Ticket> {
        let total = Arc::clone(&self.total).try_acquire_owned().ok()?;
        if self.per_address == 0 {
            return Some(Ticket {
                _total: total,
                address: None,
                open: Arc::clone(&self.open),
            });
        }
        let address = network(peer);
        let mut open = self.open.lock().ok()?;
        let count = open.entry(address).or_insert(0);
        if *count >= self.per_address {
            return None;
        }
        *count += 1;
        Some(Ticket {
            _total: total,
            address: Some(address),
            open: Arc::clone(&self.open),
        })
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.capacity - self.total.available_permits()
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let Some(address) = self.address else { return };
        if let Ok(mut open) = self.open.lock()
            && let Some(count) = open.get_mut(&address)
        {
            *count -= 1;
            if *count == 0 {
                open.remove(&address);
            }
        }
    }
}

/// What counts as one address: an IPv4 address, or the /64 an IPv6 address is in, which
/// one subscriber usually holds whole (as the sign-in throttle counts them).
fn network(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    #[test]
    fn one_address_gets_its_share_and_others_still_get_in() {
        let gate = Gate::new(10, 2);
        let a1 = gate.admit(ip("192.0.2.1")).expect("first");
        let _a2 = gate.admit(ip("192.0.2.1")).expect("second");
        assert!(
            gate.admit(ip("192.0.2.1")).is_none(),
            "a third from one address"
        );
        let _b = gate.admit(ip("192.0.2.2")).expect("another address");
        drop(a1);
        let _a3 = gate.admit(ip("192.0.2.1")).expect("a place freed");
        assert_eq!(gate.open(), 3);
    }

    #[test]
    fn the_total_cap_holds_over_every_address() {
        let gate = Gate::new(3, 0);
        let held: Vec<Ticket> = (1..=3)
            .filter_map(|n| gate.admit(ip(&format!("192.0.2.{n}"))))
            .collect();
        assert_eq!(held.len(), 3);
        assert!(gate.admit(ip("192.0.2.9")).is_none());
        drop(held);
        assert!(gate.admit(ip("192.0.2.9")).is_some());
    }

    #[test]
    fn an_ipv6_subscriber_is_one_address() {
        let gate = Gate::new(10, 1);
        let _one = gate.admit(ip("2001:db8:1:2::1")).expect("first");
        assert!(gate.admit(ip("2001:db8:1:2:ffff::9")).is_none(), "same /64");
        assert!(gate.admit(ip("2001:db8:1:3::1")).is_some(), "another /64");
        let _v4 = gate.admit(ip("::ffff:192.0.2.1")).expect("mapped v4");
        assert!(
            gate.admit(ip("192.0.2.1")).is_none(),
            "the same IPv4 address"
        );
    }
}
