//! The review queue under a free-text search, worked out from the reports the search
//! found, newest first, as the report facts hold them: their counts by status, the urgent
//! ones and one page. A list is settled as soon as no older match could enter it, so a
//! page of a search matching hundreds of thousands of reports reads only the newest.

use super::form::Severity;
use super::queue::{Cursor, Sort};
use super::review::Status;

/// A report a search found, with what the queue orders and filters it by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    pub seq: i64,
    /// The severity's rank, 0 for none.
    pub severity: i64,
    pub status: Status,
}

/// Reports of each of `Status::ALL` among the hits handed to it.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    counts: [i64; Status::ALL.len()],
}

impl Tally {
    pub fn add<'a>(&mut self, hits: impl IntoIterator<Item = &'a Hit>) {
        for hit in hits {
            if let Some(at) = Status::ALL.iter().position(|s| *s == hit.status) {
                self.counts[at] += 1;
            }
        }
    }

    pub fn finish(self) -> Vec<(Status, i64)> {
        Status::ALL.into_iter().zip(self.counts).collect()
    }
}

/// Which hits a list keeps.
#[derive(Debug, Clone)]
enum Keep {
    /// A page of the queue: these statuses (empty for any).
    Statuses(Vec<Status>),
    /// Open high and critical reports.
    Urgent,
}

/// A list of the queue picked from hits given newest first: a page, or the urgent
/// reports above it.
#[derive(Debug, Clone)]
pub struct Pick {
    sort: Sort,
    after: Option<Cursor>,
    limit: usize,
    keep: Keep,
    kept: Vec<Hit>,
    /// Kept hits at the highest severity the list can still take: once `limit` of them
    /// are in, an older hit can only come after them.
    at_ceiling: usize,
}

impl Pick {
    /// A page of the queue in `sort` order, after `after`, of these statuses.
    pub fn page(sort: Sort, after: Option<Cursor>, statuses: &[Status], limit: u32) -> Pick {
        Pick::new(sort, after, Keep::Statuses(statuses.to_vec()), limit)
    }

    /// The open critical and high reports, most severe and newest first.
    pub fn urgent(limit: u32) -> Pick {
        Pick::new(Sort::Severity, None, Keep::Urgent, limit)
    }

    fn new(sort: Sort, after: Option<Cursor>, keep: Keep, limit: u32) -> Pick {
        Pick {
            sort,
            after,
            limit: usize::try_from(limit).unwrap_or(usize::MAX),
            keep,
            kept: Vec::new(),
            at_ceiling: 0,
        }
    }

    /// The highest severity a hit of the list can have: the page's cursor's, since the
    /// more severe were on earlier pages.
    fn ceiling(&self) -> i64 {
        self.after
            .map_or(Severity::Critical.rank(), |cursor| cursor.severity)
    }

    fn admits(&self, hit: &Hit) -> bool {
        let kept = match &self.keep {
            Keep::Statuses(statuses) => statuses.is_empty() || statuses.contains(&hit.status),
            Keep::Urgent => hit.status.is_open() && hit.severity >= Severity::High.rank(),
        };
        let after = self.after.is_none_or(|cursor| match self.sort {
            Sort::Newest => hit.seq < cursor.seq,
            Sort::Severity => {
                hit.severity < cursor.severity
                    || (hit.severity == cursor.severity && hit.seq < cursor.seq)
            }
        });
        kept && after
    }

    /// Whether no hit older than those taken could enter the list.
    pub fn settled(&self) -> bool {
        match self.sort {
            Sort::Newest => self.kept.len() >= self.limit,
            Sort::Severity => self.at_ceiling >= self.limit,
        }
    }

    /// Takes the next hits, each older than every hit taken before.
    pub fn take(&mut self, hits: &[Hit]) {
        for hit in hits {
            if self.settled() {
                return;
            }
            if !self.admits(hit) {
                continue;
            }
            if hit.severity == self.ceiling() {
                self.at_ceiling += 1;
            }
            self.kept.push(*hit);
            // The list is the first `limit` in severity order of all it is handed: cut
            // to the first `limit` so far, it loses none of them, and a search matching
            // a million reports keeps a page's worth.
            if self.sort == Sort::Severity
                && self.kept.len() >= self.limit.saturating_mul(2).max(64)
            {
                self.rank();
                self.kept.truncate(self.limit);
            }
        }
    }

    fn rank(&mut self) {
        self.kept
            .sort_by_key(|h| std::cmp::Reverse((h.severity, h.seq)));
    }

    /// The list's reports (seqs) in its order.
    pub fn finish(mut self) -> Vec<i64> {
        if self.sort == Sort::Severity {
            self.rank();
        }
        self.kept.truncate(self.limit);
        self.kept.into_iter().map(|h| h.seq).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(seq: i64, severity: i64, status: Status) -> Hit {
        Hit {
            seq,
            severity,
            status,
        }
    }

    /// Hits newest first: seq 100 down to 1, severity cycling 0..=4, every third verified.
    fn hits() -> Vec<Hit> {
        (1..=100)
            .rev()
            .map(|seq| {
                let status = if seq % 3 == 0 {
                    Status::Verified
                } else {
                    Status::Received
                };
                hit(seq, seq % 5, status)
            })
            .collect()
    }

    /// The list as a full sort of every hit gives it.
    fn sorted(hits: &[Hit], sort: Sort, keep: impl Fn(&Hit) -> bool) -> Vec<Hit> {
        let mut kept: Vec<Hit> = hits.iter().copied().filter(|h| keep(h)).collect();
        match sort {
            Sort::Newest => kept.sort_by_key(|h| std::cmp::Reverse(h.seq)),
            Sort::Severity => kept.sort_by_key(|h| std::cmp::Reverse((h.severity, h.seq))),
        }
        kept
    }

    /// Every page of a sort, each picked from hits handed over in windows of `window`,
    /// stopping at the first window after which the page is settled.
    fn pages(hits: &[Hit], sort: Sort, statuses: &[Status], window: usize) -> Vec<Vec<i64>> {
        let mut pages = Vec::new();
        let mut after = None;
        loop {
            let mut pick = Pick::page(sort, after, statuses, 7);
            for chunk in hits.chunks(window) {
                if pick.settled() {
                    break;
                }
                pick.take(chunk);
            }
            let page = pick.finish();
            let Some(last) = page.last() else {
                return pages;
            };
            let last = hits.iter().find(|h| h.seq == *last).expect("a hit");
            after = Some(Cursor {
                severity: last.severity,
                seq: last.seq,
            });
            pages.push(page);
        }
    }

    #[test]
    fn paging_shows_every_hit_once_in_the_queues_order_whatever_the_windows() {
        let all = hits();
        for sort in [Sort::Newest, Sort::Severity] {
            for statuses in [vec![], vec![Status::Verified]] {
                let expected: Vec<i64> = sorted(&all, sort, |h| {
                    statuses.is_empty() || statuses.contains(&h.status)
                })
                .iter()
                .map(|h| h.seq)
                .collect();
                for window in [1, 3, 10, 100] {
                    let paged: Vec<i64> = pages(&all, sort, &statuses, window)
                        .into_iter()
                        .flatten()
                        .collect();
                    assert_eq!(paged, expected, "{sort:?} {statuses:?} by {window}");
                }
            }
        }
    }

    #[test]
    fn a_newest_first_page_is_settled_by_its_newest_hits() {
        let all = hits();
        let mut pick = Pick::page(Sort::Newest, None, &[], 5);
        pick.take(&all[..5]);
        assert!(pick.settled());
        assert_eq!(pick.finish(), [100, 99, 98, 97, 96]);
    }

    #[test]
    fn a_severity_page_waits_until_enough_of_the_highest_severity_are_in() {
        let all = hits();
        let mut pick = Pick::page(Sort::Severity, None, &[], 3);
        // 100..=91 hold two critical reports (99, 94): a third could still be older.
        pick.take(&all[..10]);
        assert!(!pick.settled());
        pick.take(&all[10..15]);
        assert!(pick.settled());
        assert_eq!(pick.finish(), [99, 94, 89]);
    }

    #[test]
    fn urgent_reports_are_open_high_and_critical_most_severe_first() {
        let all = hits();
        let mut pick = Pick::urgent(4);
        pick.take(&all);
        let expected: Vec<i64> = sorted(&all, Sort::Severity, |h| {
            h.status.is_open() && h.severity >= 3
        })
        .iter()
        .take(4)
        .map(|h| h.seq)
        .collect();
        assert_eq!(pick.finish(), expected);
        assert_eq!(expected, [94, 89, 79, 74]);
    }

    #[test]
    fn counts_by_status_cover_every_status() {
        let all = hits();
        let mut tally = Tally::default();
        for chunk in all.chunks(7) {
            tally.add(chunk);
        }
        let counts = tally.finish();
        assert_eq!(counts.len(), Status::ALL.len());
        assert!(counts.contains(&(Status::Verified, 33)));
        assert!(counts.contains(&(Status::Received, 67)));
        assert!(counts.contains(&(Status::Dismissed, 0)));
    }

    #[test]
    fn an_empty_search_lists_nothing() {
        let mut pick = Pick::page(Sort::Severity, None, &[], 5);
        pick.take(&[]);
        assert!(pick.finish().is_empty());
    }
}
