//! A mission's team as the dashboard counts it: its enabled members by role, where each
//! is deployed, and which observers are active or silent. Held in memory (see
//! `store::roster`) so that a dashboard page costs the observers it counts in memory and
//! reads from SQL only the names of the few it lists.

use super::facts::Activity;
use super::role::Role;

/// An enabled member of the mission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Member {
    pub user_id: i64,
    pub role: Role,
}

/// Active (not disabled) members per role, and the observers deployed somewhere.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Team {
    /// In `Role::ALL` order.
    pub by_role: Vec<(Role, i64)>,
    pub observers_assigned: i64,
}

/// The enabled members of one mission, in the order of their names, and their
/// assignments.
#[derive(Debug, Clone, Default)]
pub struct Roster {
    /// Ordered by display name (then user id): a member's position is their name's rank,
    /// so the silent can be put in order without their names.
    members: Vec<Member>,
    /// (region id, position in `members`), ordered: the members deployed in a set of
    /// regions are found from the regions, not by looking at every member.
    assignments: Vec<(i64, u32)>,
}

/// When observers count as active and as silent, and how many silent ones are listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    /// Observers who filed since then are active.
    pub active_since: i64,
    /// Observers who have not filed since then are silent.
    pub silent_since: i64,
    pub silent_listed: usize,
}

/// A silent observer listed: who, how many reports, when they last filed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Silent {
    pub user_id: i64,
    pub reports: i64,
    pub last_at: Option<i64>,
}

/// Observers' standing on one page: how many active, the silent longest silent first
/// (and by name among those silent as long), and how many are silent in all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Standing {
    pub active: i64,
    pub silent: Vec<Silent>,
    pub silent_total: i64,
}

impl Roster {
    /// The roster of these members, given in the order of their names, and of these
    /// (user id, region id) assignments. Assignments of users not among the members (a
    /// disabled one) are left out, as they count for nothing.
    pub fn new(members: Vec<Member>, assignments: &[(i64, i64)]) -> Roster {
        let mut by_user: Vec<(i64, u32)> = members
            .iter()
            .enumerate()
            .map(|(i, m)| (m.user_id, u32::try_from(i).unwrap_or(u32::MAX)))
            .collect();
        by_user.sort_unstable();
        let mut placed: Vec<(i64, u32)> = assignments
            .iter()
            .filter_map(|&(user_id, region_id)| {
                let at = by_user.binary_search_by_key(&user_id, |&(u, _)| u).ok()?;
                Some((region_id, by_user[at].1))
            })
            .collect();
        placed.sort_unstable();
        placed.dedup();
        Roster {
            members,
            assignments: placed,
        }
    }

    /// Enabled members by role, and how many observers have an assignment.
    pub fn team(&self) -> Team {
        let by_role = Role::ALL
            .iter()
            .map(|&role| {
                let n = self.members.iter().filter(|m| m.role == role).count();
                (role, count(n))
            })
            .collect();
        let mut assigned: Vec<u32> = self
            .assignments
            .iter()
            .map(|&(_, at)| at)
            .filter(|&at| self.is_observer(at))
            .collect();
        assigned.sort_unstable();
        assigned.dedup();
        Team {
            by_role,
            observers_assigned: count(assigned.len()),
        }
    }

    /// The standing of the observers deployed in `regions` (a region and every region
    /// under it, ids in any order), or of every observer of the mission for `None`. An
    /// observer without an assignment counts for the mission only.
    pub fn standing(
        &self,
        regions: Option<&[i64]>,
        activity: impl Fn(i64) -> Option<Activity>,
        thresholds: Thresholds,
    ) -> Standing {
        let observers: Vec<u32> = match regions {
            None => (0..self.members.len())
                .filter_map(|at| u32::try_from(at).ok())
                .filter(|&at| self.is_observer(at))
                .collect(),
            Some(regions) => self.observers_in(regions),
        };
        let mut standing = Standing::default();
        // (when last filed, 0 for never; name rank): the order silent observers are listed in.
        let mut silent: Vec<(i64, u32, Option<Activity>)> = Vec::new();
        for at in observers {
            let member = self.members[at as usize];
            let filed = activity(member.user_id);
            let last = filed.map_or(0, |a| a.last_at);
            if last >= thresholds.active_since {
                standing.active += 1;
            }
            if last < thresholds.silent_since {
                silent.push((last, at, filed));
            }
        }
        standing.silent_total = count(silent.len());
        let listed = thresholds.silent_listed.min(silent.len());
        if listed == 0 {
            return standing;
        }
        let key = |s: &(i64, u32, Option<Activity>)| (s.0, s.1);
        if listed < silent.len() {
            silent.select_nth_unstable_by_key(listed - 1, key);
            silent.truncate(listed);
        }
        silent.sort_unstable_by_key(key);
        standing.silent = silent
            .into_iter()
            .map(|(_, at, filed)| Silent {
                user_id: self.members[at as usize].user_id,
                reports: filed.map_or(0, |a| a.reports),
                last_at: filed.map(|a| a.last_at),
            })
            .collect();
        standing
    }

    /// The observers with an assignment in any of these regions, each once, in name order.
    fn observers_in(&self, regions: &[i64]) -> Vec<u32> {
        let mut found = Vec::new();
        for &region in regions {
            let from = self.assignments.partition_point(|&(r, _)| r < region);
            found.extend(
                self.assignments[from..]
                    .iter()
                    .take_while(|&&(r, _)| r == region)
                    .map(|&(_, at)| at)
                    .filter(|&at| self.is_observer(at)),
            );
        }
        found.sort_unstable();
        found.dedup();
        found
    }

    fn is_observer(&self, at: u32) -> bool {
        self.members
            .get(at as usize)
            .is_some_and(|m| m.role == Role::Observer)
    }

    /// How many enabled members the mission has, whatever their role.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Memory the roster holds, in bytes (for the figures in BENCHMARKS.md).
    pub fn bytes(&self) -> usize {
        self.members.capacity() * std::mem::size_of::<Member>()
            + self.assignments.capacity() * std::mem::size_of::<(i64, u32)>()
    }
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn observer(user_id: i64) -> Member {
        Member {
            user_id,
            role: Role::Observer,
        }
    }

    fn filed(reports: i64, last_at: i64) -> Option<Activity> {
        Some(Activity { reports, last_at })
    }

    const AT: Thresholds = Thresholds {
        active_since: 1_000,
        silent_since: 500,
        silent_listed: 2,
    };

    /// Observers 1..=5 in name order 3, 1, 5, 2, 4; a coordinator 9.
    fn roster() -> Roster {
        let mut members: Vec<Member> = [3, 1, 5, 2, 4].into_iter().map(observer).collect();
        members.push(Member {
            user_id: 9,
            role: Role::Coordinator,
        });
        // Observer 1 in regions 10 and 11, 2 in 11, 3 in 20; the coordinator in 10; 4 and
        // 5 nowhere; a disabled user 7 in 10.
        Roster::new(
            members,
            &[(1, 10), (1, 11), (2, 11), (3, 20), (9, 10), (7, 10)],
        )
    }

    fn activity(user_id: i64) -> Option<Activity> {
        match user_id {
            1 => filed(4, 1_200),
            2 => filed(1, 100),
            3 => filed(2, 400),
            _ => None,
        }
    }

    #[test]
    fn the_team_counts_enabled_members_by_role_and_assigned_observers_once() {
        let team = roster().team();
        assert_eq!(
            team.by_role,
            vec![
                (Role::Observer, 5),
                (Role::Coordinator, 1),
                (Role::Lead, 0),
                (Role::Admin, 0)
            ]
        );
        assert_eq!(team.observers_assigned, 3);
    }

    #[test]
    fn the_mission_counts_every_observer_and_lists_the_longest_silent_by_name() {
        let standing = roster().standing(None, activity, AT);
        assert_eq!(standing.active, 1);
        // Silent: 2 (at 100), 3 (at 400), 4 and 5 (never); never comes first, then by
        // name: 5 before 4.
        assert_eq!(standing.silent_total, 4);
        assert_eq!(
            standing.silent,
            vec![
                Silent {
                    user_id: 5,
                    reports: 0,
                    last_at: None
                },
                Silent {
                    user_id: 4,
                    reports: 0,
                    last_at: None
                },
            ]
        );
    }

    #[test]
    fn a_region_counts_the_observers_deployed_in_it_once_each() {
        let standing = roster().standing(
            Some(&[11, 10]),
            activity,
            Thresholds {
                silent_listed: 10,
                ..AT
            },
        );
        assert_eq!(standing.active, 1);
        assert_eq!(standing.silent_total, 1);
        assert_eq!(
            standing.silent,
            vec![Silent {
                user_id: 2,
                reports: 1,
                last_at: Some(100)
            }]
        );
        let nowhere = roster().standing(Some(&[99]), activity, AT);
        assert_eq!(nowhere, Standing::default());
    }

    #[test]
    fn silent_observers_are_listed_oldest_first_then_by_name() {
        let standing = roster().standing(
            None,
            activity,
            Thresholds {
                silent_listed: 10,
                ..AT
            },
        );
        let order: Vec<i64> = standing.silent.iter().map(|s| s.user_id).collect();
        assert_eq!(order, vec![5, 4, 2, 3]);
        let none_listed = roster().standing(
            None,
            activity,
            Thresholds {
                silent_listed: 0,
                ..AT
            },
        );
        assert!(none_listed.silent.is_empty());
        assert_eq!(none_listed.silent_total, 4);
    }

    #[test]
    fn the_listed_are_the_first_of_the_whole_order_whatever_the_limit() {
        // Many observers, filing at times that repeat: the first n listed are always the
        // first n of the full order, as a full sort would give them.
        let members: Vec<Member> = (0..200).map(observer).collect();
        let roster = Roster::new(members, &[]);
        let activity = |id: i64| {
            (id % 3 != 0).then(|| Activity {
                reports: 1,
                last_at: (id * 7919) % 13,
            })
        };
        let all = roster.standing(
            None,
            activity,
            Thresholds {
                active_since: 100,
                silent_since: 100,
                silent_listed: 200,
            },
        );
        assert_eq!(all.silent_total, 200);
        for listed in [1, 2, 17, 66, 67, 199] {
            let some = roster.standing(
                None,
                activity,
                Thresholds {
                    active_since: 100,
                    silent_since: 100,
                    silent_listed: listed,
                },
            );
            assert_eq!(some.silent, all.silent[..listed].to_vec(), "{listed}");
        }
    }
}
