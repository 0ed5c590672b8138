//! How many connections the server holds at once, in all and from one address, and which
//! one makes room when it is full.
//!
//! Each open connection costs a file descriptor and some memory, whatever it sends. Someone
//! holding thousands of them open (slowloris) must not use up the descriptors that the
//! next observer's connection needs, nor one address all of them. Past the cap for one
//! address a new connection is refused at once. Past the cap in all, refusing would hand
//! the server to whoever opens connections fastest: instead the connection that has waited
//! longest for a request (silent, or sending its head slowly) is closed to make room, and
//! a connection that is being answered is never touched.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::connection::Activity;

/// How many open connections are looked at (all of them, if there are no more; else as
/// many chosen at random) to find the one to close when the server is full: enough that the one closed has nearly always waited longer
/// than most, few enough that a flood of new connections costs little to turn away.
const SAMPLE: usize = 16;

/// The connections open now, and the caps they are held to.
#[derive(Clone)]
pub struct Gate {
    capacity: usize,
    total: Arc<Semaphore>,
    per_address: usize,
    open: Arc<Mutex<Open>>,
}

/// The connections open now: by address, and each one's activity.
struct Open {
    by_address: HashMap<IpAddr, usize>,
    live: Vec<(u64, Arc<Activity>)>,
    places: HashMap<u64, usize>,
    next_id: u64,
    dice: u64,
}

/// Why a connection was not let in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Its address has its share already.
    Address,
    /// The server holds as many connections as it may.
    Full,
}

/// One admitted connection: its place is given back when this is dropped.
pub struct Ticket {
    _total: OwnedSemaphorePermit,
    id: u64,
    address: Option<IpAddr>,
    open: Arc<Mutex<Open>>,
}

impl Gate {
    /// At most `total` connections, and `per_address` from one address (0: no cap per
    /// address, for a server behind a proxy whose own address every connection has).
    pub fn new(total: usize, per_address: usize) -> Gate {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
            | 1;
        Gate {
            capacity: total,
            total: Arc::new(Semaphore::new(total)),
            per_address,
            open: Arc::new(Mutex::new(Open {
                by_address: HashMap::new(),
                live: Vec::new(),
                places: HashMap::new(),
                next_id: 0,
                dice: seed,
            })),
        }
    }

    /// A place for a connection from `peer` doing `activity`, if one is free.
    pub fn admit(&self, peer: IpAddr, activity: Arc<Activity>) -> Result<Ticket, Refused> {
        let address = self.address_of(peer);
        if self.address_full(address) {
            return Err(Refused::Address);
        }
        let total = Arc::clone(&self.total)
            .try_acquire_owned()
            .map_err(|_| Refused::Full)?;
        self.register(total, address, activity)
            .ok_or(Refused::Address)
    }

    /// A place for a connection once one frees up (after [`Gate::evict_one`]), waiting at
    /// most `wait`.
    pub async fn admit_freed(
        &self,
        peer: IpAddr,
        activity: Arc<Activity>,
        wait: Duration,
    ) -> Option<Ticket> {
        let total = tokio::time::timeout(wait, Arc::clone(&self.total).acquire_owned())
            .await
            .ok()?
            .ok()?;
        self.register(total, self.address_of(peer), activity)
    }

    /// Closes the connection that has waited longest for a request, among a few chosen at
    /// random, to make room; false if none of them was waiting.
    pub fn evict_one(&self) -> bool {
        let Ok(mut open) = self.open.lock() else {
            return false;
        };
        let count = open.live.len();
        let mut oldest: Option<(tokio::time::Instant, Arc<Activity>)> = None;
        // Every connection when there are few; else a random few (drawn with replacement).
        let picks: Vec<usize> = if count <= SAMPLE {
            (0..count).collect()
        } else {
            (0..SAMPLE).map(|_| open.roll(count)).collect()
        };
        for pick in picks {
            let activity = &open.live[pick].1;
            if let Some(since) = activity.waiting_since()
                && oldest.as_ref().is_none_or(|(at, _)| since < *at)
            {
                oldest = Some((since, Arc::clone(activity)));
            }
        }
        drop(open);
        oldest.is_some_and(|(_, activity)| activity.evict_if_waiting())
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.capacity - self.total.available_permits()
    }

    fn address_of(&self, peer: IpAddr) -> Option<IpAddr> {
        (self.per_address > 0).then(|| network(peer))
    }

    fn address_full(&self, address: Option<IpAddr>) -> bool {
        let Some(address) = address else { return false };
        self.open.lock().map_or(true, |open| {
            open.by_address.get(&address).copied().unwrap_or(0) >= self.per_address
        })
    }

    fn register(
        &self,
        total: OwnedSemaphorePermit,
        address: Option<IpAddr>,
        activity: Arc<Activity>,
    ) -> Option<Ticket> {
        let mut open = self.open.lock().ok()?;
        if let Some(address) = address {
            let count = open.by_address.entry(address).or_insert(0);
            if *count >= self.per_address {
                return None;
            }
            *count += 1;
        }
        let id = open.next_id;
        open.next_id += 1;
        let place = open.live.len();
        open.live.push((id, activity));
        open.places.insert(id, place);
        Some(Ticket {
            _total: total,
            id,
            address,
            open: Arc::clone(&self.open),
        })
    }
}

impl Open {
    /// A number below `n`, from a xorshift generator: which connections to look at need
    /// not be secret, only spread.
    fn roll(&mut self, n: usize) -> usize {
        self.dice ^= self.dice << 13;
        self.dice ^= self.dice >> 7;
        self.dice ^= self.dice << 17;
        (self.dice % n as u64) as usize
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let Ok(mut open) = self.open.lock() else {
            return;
        };
        if let Some(place) = open.places.remove(&self.id) {
            open.live.swap_remove(place);
            if let Some(&(moved, _)) = open.live.get(place) {
                open.places.insert(moved, place);
            }
        }
        if let Some(address) = self.address
            && let Some(count) = open.by_address.get_mut(&address)
        {
            *count -= 1;
            if *count == 0 {
                open.by_address.remove(&address);
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

    fn admit(gate: &Gate, address: &str) -> Result<Ticket, Refused> {
        gate.admit(ip(address), Arc::new(Activity::new()))
    }

    #[test]
    fn one_address_gets_its_share_and_others_still_get_in() {
        let gate = Gate::new(10, 2);
        let a1 = admit(&gate, "192.0.2.1").expect("first");
        let _a2 = admit(&gate, "192.0.2.1").expect("second");
        assert_eq!(
            admit(&gate, "192.0.2.1").err(),
            Some(Refused::Address),
            "a third from one address"
        );
        let _b = admit(&gate, "192.0.2.2").expect("another address");
        drop(a1);
        let _a3 = admit(&gate, "192.0.2.1").expect("a place freed");
        assert_eq!(gate.open(), 3);
    }

    #[test]
    fn the_total_cap_holds_over_every_address() {
        let gate = Gate::new(3, 0);
        let held: Vec<Ticket> = (1..=3)
            .filter_map(|n| admit(&gate, &format!("192.0.2.{n}")).ok())
            .collect();
        assert_eq!(held.len(), 3);
        assert_eq!(admit(&gate, "192.0.2.9").err(), Some(Refused::Full));
        drop(held);
        assert!(admit(&gate, "192.0.2.9").is_ok());
    }

    #[test]
    fn an_ipv6_subscriber_is_one_address() {
        let gate = Gate::new(10, 1);
        let _one = admit(&gate, "2001:db8:1:2::1").expect("first");
        assert!(admit(&gate, "2001:db8:1:2:ffff::9").is_err(), "same /64");
        assert!(admit(&gate, "2001:db8:1:3::1").is_ok(), "another /64");
        let _v4 = admit(&gate, "::ffff:192.0.2.1").expect("mapped v4");
        assert!(admit(&gate, "192.0.2.1").is_err(), "the same IPv4 address");
    }

    #[tokio::test]
    async fn a_full_server_closes_a_waiting_connection_never_one_being_answered() {
        let gate = Gate::new(2, 0);
        let (busy, idle) = (Arc::new(Activity::new()), Arc::new(Activity::new()));
        busy.answering();
        let _busy = gate
            .admit(ip("192.0.2.1"), Arc::clone(&busy))
            .expect("busy");
        let idle_ticket = gate
            .admit(ip("192.0.2.2"), Arc::clone(&idle))
            .expect("idle");
        assert_eq!(admit(&gate, "192.0.2.3").err(), Some(Refused::Full));
        assert!(gate.evict_one(), "the idle one makes room");
        assert!(idle.waiting_since().is_none(), "marked to close");
        assert!(busy.waiting_since().is_none() && !busy.evict_if_waiting());
        // Once it has closed, its place goes to the newcomer.
        let newcomer = {
            let gate = gate.clone();
            tokio::spawn(async move {
                gate.admit_freed(
                    ip("192.0.2.3"),
                    Arc::new(Activity::new()),
                    Duration::from_secs(1),
                )
                .await
                .is_some()
            })
        };
        drop(idle_ticket);
        assert!(newcomer.await.expect("task"));
        assert!(!gate.evict_one(), "nobody left waiting");
    }
}
