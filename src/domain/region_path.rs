//! Where a region sits in the mission's geography, as one string: the codes of the regions
//! above it and its own, top first, each between slashes (`/047/285/1427/`).
//!
//! The string is what the database keeps and indexes (a subtree is a range of it), so
//! everything that reads a path's parts (its depth, its top region, its codes, whether it
//! lies inside another, the end of its subtree's range) reads them here, from a value
//! checked once when it was made.

use std::fmt;

use super::geography::check_region_code;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RegionPath(String);

/// Why a string is not a region path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{path}` is not a region path: {reason}")]
pub struct NotAPath {
    pub path: String,
    pub reason: String,
}

impl RegionPath {
    /// A path read from elsewhere (the database, an older export): every segment must be
    /// a region code, and the string must start and end with `/`.
    pub fn parse(path: &str) -> Result<RegionPath, NotAPath> {
        let refuse = |reason: &str| NotAPath {
            path: path.to_owned(),
            reason: reason.to_owned(),
        };
        let inner = path
            .strip_prefix('/')
            .and_then(|p| p.strip_suffix('/'))
            .filter(|p| !p.is_empty())
            .ok_or_else(|| refuse("it must start and end with '/' and name a region"))?;
        for code in inner.split('/') {
            check_region_code(code).map_err(|reason| refuse(&reason))?;
        }
        Ok(RegionPath(path.to_owned()))
    }

    /// The path of a top-level region.
    pub fn top(code: &str) -> RegionPath {
        RegionPath(format!("/{code}/"))
    }

    /// The path of a region directly under this one.
    pub fn child(&self, code: &str) -> RegionPath {
        RegionPath(format!("{}{code}/", self.0))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The codes, top first: `/001/002/0003/` -> `001`, `002`, `0003`.
    pub fn codes(&self) -> impl Iterator<Item = &str> {
        self.inner().split('/')
    }

    /// 1 for a top-level region, as `regions.depth` counts.
    pub fn depth(&self) -> usize {
        self.inner().matches('/').count() + 1
    }

    /// The code of the top-level region it lies in: `/001/002/0003/` -> `001`.
    pub fn top_code(&self) -> &str {
        self.codes().next().unwrap_or_default()
    }

    /// The path of the region directly above, None for a top-level region.
    pub fn parent(&self) -> Option<RegionPath> {
        let inner = self.inner();
        inner
            .rfind('/')
            .map(|end| RegionPath(format!("/{}/", &inner[..end])))
    }

    /// Whether `other` is this region or lies under it.
    pub fn contains(&self, other: &RegionPath) -> bool {
        other.0.starts_with(&self.0)
    }

    /// The smallest string above every path inside this one: paths end in `/`, and `0` is
    /// the character after `/`, so `[path, path with its last '/' as '0')` is the subtree,
    /// a range an index on the path column reads directly.
    pub fn subtree_end(&self) -> String {
        let mut end = self.0.trim_end_matches('/').to_owned();
        end.push('0');
        end
    }

    fn inner(&self) -> &str {
        &self.0[1..self.0.len() - 1]
    }
}

impl fmt::Display for RegionPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for RegionPath {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(s: &str) -> RegionPath {
        RegionPath::parse(s).expect("a path")
    }

    #[test]
    fn a_path_reads_as_its_codes_depth_top_and_parent() {
        let station = path("/047/285/1427/");
        assert_eq!(station.codes().collect::<Vec<_>>(), ["047", "285", "1427"]);
        assert_eq!(station.depth(), 3);
        assert_eq!(station.top_code(), "047");
        assert_eq!(station.parent(), Some(path("/047/285/")));
        assert_eq!(path("/047/").parent(), None);
        assert_eq!(path("/047/").depth(), 1);
    }

    #[test]
    fn paths_are_built_from_codes() {
        let county = RegionPath::top("047");
        assert_eq!(county.as_str(), "/047/");
        assert_eq!(county.child("285").child("1427"), path("/047/285/1427/"));
    }

    #[test]
    fn a_subtree_is_the_range_from_its_path_to_its_end() {
        let constituency = path("/030/158/");
        let end = constituency.subtree_end();
        assert_eq!(end, "/030/1580");
        for inside in ["/030/158/", "/030/158/0001/", "/030/158/zz/"] {
            assert!(
                inside >= constituency.as_str() && inside < end.as_str(),
                "{inside}"
            );
            assert!(constituency.contains(&path(inside)));
        }
        // A sibling whose code starts with the same digits is outside.
        for outside in ["/030/1581/", "/030/159/", "/030/15/", "/031/"] {
            assert!(
                !(outside >= constituency.as_str() && outside < end.as_str()),
                "{outside}"
            );
            assert!(!constituency.contains(&path(outside)));
        }
    }

    #[test]
    fn strings_that_are_not_paths_are_refused() {
        for bad in [
            "",
            "/",
            "//",
            "047/",
            "/047",
            "/047//285/",
            "/04 7/",
            "/a/b c/",
        ] {
            assert!(RegionPath::parse(bad).is_err(), "{bad:?}");
        }
    }
}
