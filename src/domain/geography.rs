//! The mission's geography as a tree of regions, and how a CSV file maps onto it.
//!
//! An import is planned here, without touching the database: every row is checked and the
//! whole file is turned into a list of regions, parents first. Only a plan with no error
//! reaches the store, which then applies it in one transaction.

use std::collections::HashMap;
use std::io::Read;

/// A problem with an import, with the line of the file it was found on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", line.map(|l| format!("line {l}: ")).unwrap_or_default())]
pub struct ImportError {
    pub line: Option<u64>,
    pub message: String,
}

impl ImportError {
    fn at(line: u64, message: impl Into<String>) -> Self {
        ImportError {
            line: Some(line),
            message: message.into(),
        }
    }

    fn scheme(message: impl Into<String>) -> Self {
        ImportError {
            line: None,
            message: message.into(),
        }
    }
}

/// Which CSV columns hold the code and the name of one level of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LevelColumns {
    /// The level's key, e.g. `county` or `polling_station`.
    pub level: String,
    pub code_column: String,
    pub name_column: String,
}

/// Optional columns describing the deepest level (polling stations).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StationColumns {
    pub registered_voters: Option<String>,
    pub latitude: Option<String>,
    pub longitude: Option<String>,
}

/// How to read a file: its levels from the top of the tree down, and station extras.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportScheme {
    pub levels: Vec<LevelColumns>,
    pub stations: StationColumns,
}

impl ImportScheme {
    /// Parses `county:county_code:county,constituency:constituency_code:constituency,...`:
    /// one `level:code column:name column` triple per level, top level first.
    pub fn parse(levels: &str, stations: StationColumns) -> Result<Self, ImportError> {
        let mut parsed: Vec<LevelColumns> = Vec::new();
        for item in levels.split(',') {
            let parts: Vec<&str> = item.split(':').map(str::trim).collect();
            let [level, code_column, name_column] = parts[..] else {
                return Err(ImportError::scheme(format!(
                    "`{item}` is not level:code_column:name_column"
                )));
            };
            if !is_level_key(level) {
                return Err(ImportError::scheme(format!(
                    "`{level}` is not a level name: use lowercase letters, digits and _"
                )));
            }
            if code_column.is_empty() || name_column.is_empty() {
                return Err(ImportError::scheme(format!(
                    "`{item}` names an empty column"
                )));
            }
            if parsed.iter().any(|l| l.level == level) {
                return Err(ImportError::scheme(format!(
                    "level `{level}` is given twice"
                )));
            }
            parsed.push(LevelColumns {
                level: level.to_owned(),
                code_column: code_column.to_owned(),
                name_column: name_column.to_owned(),
            });
        }
        if stations.latitude.is_some() != stations.longitude.is_some() {
            return Err(ImportError::scheme(
                "give both a latitude and a longitude column, or neither",
            ));
        }
        Ok(ImportScheme {
            levels: parsed,
            stations,
        })
    }

    pub fn level_names(&self) -> Vec<String> {
        self.levels.iter().map(|l| l.level.clone()).collect()
    }
}

/// A level key: what `region_levels.name` holds. Shown with `_` as a space.
pub fn is_level_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 40
        && key.starts_with(|c: char| c.is_ascii_lowercase())
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// A level key as people read it: `polling_station` -> `polling station`.
pub fn level_label(key: &str) -> String {
    key.replace('_', " ")
}

/// A level key as a plural heading: `county` -> `counties`, `polling_station` ->
/// `polling stations`.
pub fn level_plural(key: &str) -> String {
    let label = level_label(key);
    let consonant_y = label.ends_with('y') && !label.ends_with(['a', 'e', 'o', 'u']) && {
        let before = label.chars().rev().nth(1);
        before.is_some_and(|c| !"aeiou".contains(c))
    };
    if consonant_y {
        format!("{}ies", &label[..label.len() - 1])
    } else if label.ends_with(['s', 'x']) || label.ends_with("ch") || label.ends_with("sh") {
        format!("{label}es")
    } else {
        format!("{label}s")
    }
}

/// A region code: unique within its level, and a segment of the materialized path, so it
/// cannot hold `/` or spaces.
pub fn check_region_code(code: &str) -> Result<(), String> {
    if code.is_empty() || code.len() > 32 {
        return Err("a code has 1 to 32 characters".to_owned());
    }
    if !code
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err(format!(
            "code `{code}` may only use letters, digits, '-', '_' and '.'"
        ));
    }
    Ok(())
}

/// A polling station's location.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Location {
    pub latitude: f64,
    pub longitude: f64,
}

/// One region the import will make sure exists.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedRegion {
    /// 1 for the top level.
    pub depth: usize,
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
    /// The first line of the file that mentions it.
    pub line: u64,
    pub registered_voters: Option<i64>,
    pub location: Option<Location>,
}

/// The checked content of a file: level keys and regions, parents before children.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionPlan {
    pub levels: Vec<String>,
    pub regions: Vec<PlannedRegion>,
}

impl RegionPlan {
    /// How many regions of each level the file describes.
    pub fn count_at(&self, depth: usize) -> usize {
        self.regions.iter().filter(|r| r.depth == depth).count()
    }
}

struct ColumnIndexes {
    levels: Vec<(usize, usize)>,
    voters: Option<usize>,
    location: Option<(usize, usize)>,
}

fn column_indexes(
    scheme: &ImportScheme,
    header: &csv::StringRecord,
) -> Result<ColumnIndexes, ImportError> {
    let names: Vec<&str> = header
        .iter()
        .enumerate()
        .map(|(i, h)| {
            if i == 0 {
                h.trim_start_matches('\u{feff}')
            } else {
                h
            }
        })
        .collect();
    let find = |column: &str| {
        names.iter().position(|h| *h == column).ok_or_else(|| {
            ImportError::at(
                1,
                format!(
                    "missing column `{column}` (the file has: {})",
                    names.join(", ")
                ),
            )
        })
    };
    let levels = scheme
        .levels
        .iter()
        .map(|l| Ok((find(&l.code_column)?, find(&l.name_column)?)))
        .collect::<Result<_, ImportError>>()?;
    let voters = scheme
        .stations
        .registered_voters
        .as_deref()
        .map(find)
        .transpose()?;
    let location = match (&scheme.stations.latitude, &scheme.stations.longitude) {
        (Some(lat), Some(lon)) => Some((find(lat)?, find(lon)?)),
        _ => None,
    };
    Ok(ColumnIndexes {
        levels,
        voters,
        location,
    })
}

/// Reads a whole CSV file and checks it against the scheme. Any error stops the import:
/// the plan is all or nothing.
pub fn plan_import(scheme: &ImportScheme, input: impl Read) -> Result<RegionPlan, ImportError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(input);
    let header = reader.headers().map_err(csv_error)?.clone();
    let columns = column_indexes(scheme, &header)?;
    let mut planner = Planner::new(scheme);
    for record in reader.records() {
        let record = record.map_err(csv_error)?;
        let line = record.position().map_or(0, |p| p.line());
        planner.add_row(&columns, &record, line)?;
    }
    if planner.regions.is_empty() {
        return Err(ImportError::scheme("the file has no rows"));
    }
    Ok(planner.finish())
}

fn csv_error(error: csv::Error) -> ImportError {
    let line = error.position().map(|p| p.line());
    let message = match error.kind() {
        csv::ErrorKind::Utf8 { .. } => "the file is not UTF-8 text".to_owned(),
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            format!("this row has {len} fields but the header has {expected_len}")
        }
        csv::ErrorKind::Io(e) => format!("cannot read the file: {e}"),
        _ => format!("not a CSV file: {error}"),
    };
    ImportError { line, message }
}

struct Planner<'a> {
    scheme: &'a ImportScheme,
    /// (depth, code) -> index in `regions`.
    seen: HashMap<(usize, String), usize>,
    regions: Vec<PlannedRegion>,
}

impl<'a> Planner<'a> {
    fn new(scheme: &'a ImportScheme) -> Self {
        Planner {
            scheme,
            seen: HashMap::new(),
            regions: Vec::new(),
        }
    }

    fn add_row(
        &mut self,
        columns: &ColumnIndexes,
        record: &csv::StringRecord,
        line: u64,
    ) -> Result<(), ImportError> {
        let field = |i: usize| record.get(i).unwrap_or("");
        let cells: Vec<(&str, &str)> = columns
            .levels
            .iter()
            .map(|&(code, name)| (field(code), field(name)))
            .collect();
        let Some(deepest) = cells.iter().rposition(|(code, _)| !code.is_empty()) else {
            return Err(ImportError::at(line, "the row has no region code"));
        };
        let (voters, location) = station_fields(columns, record, line)?;
        let is_station_row = deepest + 1 == cells.len();
        if !is_station_row && (voters.is_some() || location.is_some()) {
            let level = level_label(&self.scheme.levels[deepest + 1].level);
            return Err(ImportError::at(
                line,
                format!("voters or coordinates are given but the row has no {level}"),
            ));
        }
        let mut parent: Option<&str> = None;
        for (index, &(code, name)) in cells.iter().enumerate().take(deepest + 1) {
            let level = level_label(&self.scheme.levels[index].level);
            if code.is_empty() {
                let child = level_label(&self.scheme.levels[deepest].level);
                return Err(ImportError::at(
                    line,
                    format!(
                        "orphan row: the {child} `{}` has no {level} code",
                        cells[deepest].0
                    ),
                ));
            }
            check_region_code(code).map_err(|m| ImportError::at(line, format!("{level}: {m}")))?;
            if name.is_empty() {
                return Err(ImportError::at(
                    line,
                    format!("{level} `{code}` has no name"),
                ));
            }
            if name.chars().count() > 200 {
                return Err(ImportError::at(
                    line,
                    format!("{level} `{code}`: name over 200 characters"),
                ));
            }
            let extras = if index == deepest && is_station_row {
                (voters, location)
            } else {
                (None, None)
            };
            self.add_region(index + 1, code, name, parent, line, extras)?;
            parent = Some(code);
        }
        Ok(())
    }

    fn add_region(
        &mut self,
        depth: usize,
        code: &str,
        name: &str,
        parent: Option<&str>,
        line: u64,
        (voters, location): (Option<i64>, Option<Location>),
    ) -> Result<(), ImportError> {
        let level = level_label(&self.scheme.levels[depth - 1].level);
        let key = (depth, code.to_owned());
        let Some(&index) = self.seen.get(&key) else {
            self.seen.insert(key, self.regions.len());
            self.regions.push(PlannedRegion {
                depth,
                code: code.to_owned(),
                name: name.to_owned(),
                parent_code: parent.map(str::to_owned),
                line,
                registered_voters: voters,
                location,
            });
            return Ok(());
        };
        let earlier = &self.regions[index];
        if earlier.name != name {
            return Err(ImportError::at(
                line,
                format!(
                    "{level} code `{code}` is named `{name}` here but `{}` on line {}",
                    earlier.name, earlier.line
                ),
            ));
        }
        if earlier.parent_code.as_deref() != parent {
            let parent_level = level_label(&self.scheme.levels[depth - 2].level);
            return Err(ImportError::at(
                line,
                format!(
                    "{level} `{code}` is under {parent_level} `{}` here but `{}` on line {}",
                    parent.unwrap_or_default(),
                    earlier.parent_code.as_deref().unwrap_or_default(),
                    earlier.line
                ),
            ));
        }
        if earlier.registered_voters != voters || earlier.location != location {
            return Err(ImportError::at(
                line,
                format!(
                    "{level} `{code}` is given again with other voters or coordinates (first on line {})",
                    earlier.line
                ),
            ));
        }
        Ok(())
    }

    fn finish(mut self) -> RegionPlan {
        // Stable sort: parents first, file order within a level.
        self.regions.sort_by_key(|r| r.depth);
        RegionPlan {
            levels: self.scheme.level_names(),
            regions: self.regions,
        }
    }
}

/// The registered voters and location on a row, where the scheme has those columns.
fn station_fields(
    columns: &ColumnIndexes,
    record: &csv::StringRecord,
    line: u64,
) -> Result<(Option<i64>, Option<Location>), ImportError> {
    let field = |i: usize| record.get(i).unwrap_or("");
    let voters = match columns.voters.map(field).filter(|v| !v.is_empty()) {
        None => None,
        Some(raw) => match raw.parse::<i64>() {
            Ok(n) if (0..=10_000_000).contains(&n) => Some(n),
            _ => {
                return Err(ImportError::at(
                    line,
                    format!("registered voters `{raw}` is not a whole number from 0 to 10,000,000"),
                ));
            }
        },
    };
    let location = match columns.location.map(|(a, b)| (field(a), field(b))) {
        None | Some(("", "")) => None,
        Some((lat, lon)) => Some(parse_location(lat, lon).map_err(|m| ImportError::at(line, m))?),
    };
    Ok((voters, location))
}

fn parse_location(lat: &str, lon: &str) -> Result<Location, String> {
    let coordinate = |raw: &str, limit: f64, what: &str| {
        raw.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && v.abs() <= limit)
            .ok_or_else(|| format!("{what} `{raw}` is not a number from -{limit} to {limit}"))
    };
    if lat.is_empty() || lon.is_empty() {
        return Err("give both latitude and longitude, or neither".to_owned());
    }
    Ok(Location {
        latitude: coordinate(lat, 90.0, "latitude")?,
        longitude: coordinate(lon, 180.0, "longitude")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn three_levels() -> ImportScheme {
        ImportScheme::parse(
            "county:county_code:county,constituency:constituency_code:constituency,ward:ward_code:ward",
            StationColumns::default(),
        )
        .expect("valid scheme")
    }

    const HEADER: &str = "county_code,county,constituency_code,constituency,ward_code,ward\n";

    fn plan(body: &str) -> Result<RegionPlan, ImportError> {
        plan_import(&three_levels(), format!("{HEADER}{body}").as_bytes())
    }

    #[test]
    fn plurals_of_levels() {
        let plurals = [
            "county",
            "constituency",
            "ward",
            "polling_station",
            "commune",
            "parish",
            "subway",
        ]
        .map(level_plural);
        assert_eq!(
            plurals,
            [
                "counties",
                "constituencies",
                "wards",
                "polling stations",
                "communes",
                "parishes",
                "subways"
            ]
        );
    }

    #[test]
    fn scheme_syntax() {
        assert!(ImportScheme::parse("county:code", StationColumns::default()).is_err());
        assert!(ImportScheme::parse("County:c:n", StationColumns::default()).is_err());
        assert!(ImportScheme::parse("a:c:n,a:d:m", StationColumns::default()).is_err());
        let half = StationColumns {
            latitude: Some("lat".into()),
            ..Default::default()
        };
        assert!(ImportScheme::parse("a:c:n", half).is_err());
    }

    #[test]
    fn builds_a_tree_parents_first() {
        let plan = plan("001,Mombasa,001,Changamwe,0001,Port Reitz\n001,Mombasa,001,Changamwe,0002,Kipevu\n001,Mombasa,002,Jomvu,0006,Jomvu Kuu\n")
            .expect("valid");
        assert_eq!(plan.levels, ["county", "constituency", "ward"]);
        assert_eq!(
            [plan.count_at(1), plan.count_at(2), plan.count_at(3)],
            [1, 2, 3]
        );
        let depths: Vec<usize> = plan.regions.iter().map(|r| r.depth).collect();
        assert_eq!(depths, [1, 2, 2, 3, 3, 3]);
        let jomvu_kuu = &plan.regions[5];
        assert_eq!(
            (jomvu_kuu.parent_code.as_deref(), jomvu_kuu.line),
            (Some("002"), 4)
        );
    }

    #[test]
    fn missing_column_is_line_one() {
        let err = plan_import(
            &three_levels(),
            "county_code,county\n001,Mombasa\n".as_bytes(),
        )
        .expect_err("missing columns");
        assert_eq!(err.line, Some(1));
        assert!(err.message.contains("constituency_code"), "{err}");
    }

    #[test]
    fn same_code_with_another_name_is_refused_with_both_lines() {
        let err = plan(
            "001,Mombasa,001,Changamwe,0001,Port Reitz\n001,Mombasa,001,Changamwe,0001,Kipevu\n",
        )
        .expect_err("conflict");
        assert_eq!(
            err.to_string(),
            "line 3: ward code `0001` is named `Kipevu` here but `Port Reitz` on line 2"
        );
    }

    #[test]
    fn same_code_under_another_parent_is_refused() {
        let err = plan(
            "001,Mombasa,001,Changamwe,0001,Port Reitz\n001,Mombasa,002,Jomvu,0001,Port Reitz\n",
        )
        .expect_err("conflict");
        assert_eq!(err.line, Some(3));
        assert!(err.message.contains("under constituency `002`"), "{err}");
    }

    #[test]
    fn orphan_rows_are_refused() {
        let err = plan("001,Mombasa,,,0001,Port Reitz\n").expect_err("orphan");
        assert_eq!(
            err.to_string(),
            "line 2: orphan row: the ward `0001` has no constituency code"
        );
        let err = plan(",,,,,\n").expect_err("empty");
        assert_eq!(err.line, Some(2));
    }

    #[test]
    fn shallow_rows_define_upper_levels_only() {
        let plan = plan("047,Nairobi,,,,\n").expect("a county on its own");
        assert_eq!(plan.regions.len(), 1);
    }

    #[test]
    fn bad_codes_names_and_shapes() {
        assert!(plan("0/1,Mombasa,001,C,0001,W\n").is_err_and(|e| e.message.contains("county")));
        assert!(plan("001,,001,C,0001,W\n").is_err_and(|e| e.message.contains("has no name")));
        assert!(
            plan("001,Mombasa,001\n")
                .is_err_and(|e| e.line == Some(2) && e.message.contains("fields"))
        );
        assert!(plan("").is_err_and(|e| e.message.contains("no rows")));
        let latin1 = [HEADER.as_bytes(), b"001,Mur\xe1nga,001,C,0001,W\n"].concat();
        assert!(
            plan_import(&three_levels(), &latin1[..]).is_err_and(|e| e.message.contains("UTF-8"))
        );
    }

    #[test]
    fn stations_carry_voters_and_coordinates() {
        let scheme = ImportScheme::parse(
            "county:cc:c,polling_station:ps:psn",
            StationColumns {
                registered_voters: Some("voters".into()),
                latitude: Some("lat".into()),
                longitude: Some("lon".into()),
            },
        )
        .expect("valid");
        let csv = "cc,c,ps,psn,voters,lat,lon\n001,Mombasa,00101,Bomu School,512,-4.05,39.66\n001,Mombasa,00102,Mikindani Hall,,,\n";
        let plan = plan_import(&scheme, csv.as_bytes()).expect("valid");
        let bomu = &plan.regions[1];
        assert_eq!(bomu.registered_voters, Some(512));
        assert_eq!(
            bomu.location,
            Some(Location {
                latitude: -4.05,
                longitude: 39.66
            })
        );
        assert_eq!(plan.regions[2].location, None);

        let bad = "cc,c,ps,psn,voters,lat,lon\n001,Mombasa,00101,Bomu,-3,,\n";
        assert!(
            plan_import(&scheme, bad.as_bytes())
                .is_err_and(|e| e.message.contains("registered voters"))
        );
        let bad = "cc,c,ps,psn,voters,lat,lon\n001,Mombasa,00101,Bomu,,95,39\n";
        assert!(
            plan_import(&scheme, bad.as_bytes()).is_err_and(|e| e.message.contains("latitude"))
        );
        let bad = "cc,c,ps,psn,voters,lat,lon\n001,Mombasa,00101,Bomu,,-4,\n";
        assert!(plan_import(&scheme, bad.as_bytes()).is_err_and(|e| e.message.contains("both")));
    }
}
