//! The four-level grid's rules, checked on the whole prospective grid before anything is written.

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::geometry::{Boundary, GeometryError};

/// A cell's code: 1–64 characters of letters, digits, `-`, `_` and `.` (administrative codes such as
/// `210102001` fit). Codes are permanent: a retired cell keeps its code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, pattern = "^[A-Za-z0-9._-]*[A-Za-z0-9][A-Za-z0-9._-]*$", min_length = 1, max_length = 64, example = "210102")]
pub struct CellCode(String);

impl CellCode {
    pub fn parse(raw: &str) -> Result<Self, String> {
        // At least one letter or digit: `.` and `..` would read as paths in URLs and files.
        let valid = (1..=64).contains(&raw.len())
            && raw.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            && raw.bytes().any(|b| b.is_ascii_alphanumeric());
        if valid {
            Ok(Self(raw.to_owned()))
        } else {
            Err("must be 1–64 letters, digits, '-', '_' or '.', with at least one letter or digit".into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CellCode {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        Self::parse(&raw)
    }
}

impl From<CellCode> for String {
    fn from(code: CellCode) -> String {
        code.0
    }
}

impl fmt::Display for CellCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Grid level: 1 city, 2 district/county, 3 street/township, 4 community/village.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "i64", into = "i64")]
#[schema(value_type = i32, minimum = 1, maximum = 4, example = 2)]
pub struct Level(u8);

impl Level {
    pub const CITY: Level = Level(1);
    pub const DEEPEST: Level = Level(4);

    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<i64> for Level {
    type Error = String;
    fn try_from(raw: i64) -> Result<Self, String> {
        match raw {
            1..=4 => Ok(Self(raw as u8)),
            _ => Err("must be between 1 (city) and 4 (community/village)".into()),
        }
    }
}

impl From<Level> for i64 {
    fn from(level: Level) -> i64 {
        level.0.into()
    }
}

/// What a responsible person does for a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Duty {
    /// 网格长: heads the cell, answers for it.
    GridChief,
    /// 副网格长.
    DeputyChief,
    /// 网格员: patrols, finds and reports problems, follows rectification.
    GridWorker,
    /// 监督员: checks that the cell's work is done.
    Supervisor,
}

impl Duty {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::GridChief => "grid_chief",
            Self::DeputyChief => "deputy_chief",
            Self::GridWorker => "grid_worker",
            Self::Supervisor => "supervisor",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::GridChief, Self::DeputyChief, Self::GridWorker, Self::Supervisor].into_iter().find(|d| d.as_str() == raw)
    }
}

/// How much geometric slack the rules allow, as shares of a cell's area. Real boundaries are simplified
/// and digitised at different scales, so exact tiling is never achieved.
#[derive(Debug, Clone, Copy)]
pub struct Tolerances {
    /// Largest share of a child's area allowed outside its parent.
    pub outside_parent: f64,
    /// Largest overlap of two siblings, as a share of the smaller one.
    pub sibling_overlap: f64,
}

/// A cell as the rules see it.
#[derive(Debug, Clone)]
pub struct CellShape {
    pub code: CellCode,
    pub level: Level,
    pub parent: Option<CellCode>,
    pub boundary: Boundary,
    /// First day the cell applies; never before its parent's.
    pub valid_from: NaiveDate,
}

/// One broken rule, naming the cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Violation {
    InvalidGeometry { code: String, reason: GeometryError },
    DuplicateCode { code: String },
    UnknownParent { code: String, parent: String },
    Cycle { code: String },
    WrongLevel { code: String, reason: String },
    StartsBeforeParent { code: String, parent: String, starts: NaiveDate, parent_starts: NaiveDate },
    OutsideParent { code: String, parent: String, share: f64 },
    SiblingOverlap { code: String, other: String, share: f64 },
    InUse { code: String, reason: String },
}

impl Violation {
    /// The stable problem `type` slug for this rule.
    pub fn slug(&self) -> &'static str {
        match self {
            Self::InvalidGeometry { .. } => "grid-invalid-geometry",
            Self::DuplicateCode { .. } => "grid-duplicate-code",
            Self::UnknownParent { .. } => "grid-unknown-parent",
            Self::Cycle { .. } => "grid-cycle",
            Self::WrongLevel { .. } => "grid-wrong-level",
            Self::StartsBeforeParent { .. } => "grid-starts-before-parent",
            Self::OutsideParent { .. } => "grid-outside-parent",
            Self::SiblingOverlap { .. } => "grid-sibling-overlap",
            Self::InUse { .. } => "grid-cell-in-use",
        }
    }

    pub fn title(&self) -> &'static str {
        match self {
            Self::InvalidGeometry { .. } => "Invalid cell boundary",
            Self::DuplicateCode { .. } => "Cell code already in use",
            Self::UnknownParent { .. } => "Parent cell does not exist",
            Self::Cycle { .. } => "Cell hierarchy would contain a cycle",
            Self::WrongLevel { .. } => "Wrong level for the parent",
            Self::StartsBeforeParent { .. } => "Cell starts before its parent",
            Self::OutsideParent { .. } => "Cell lies outside its parent",
            Self::SiblingOverlap { .. } => "Cell overlaps a sibling",
            Self::InUse { .. } => "Cell is still in use",
        }
    }

    /// Every cell the violation names: the offending cell first, then the other party if any.
    pub fn codes(&self) -> Vec<&str> {
        match self {
            Self::SiblingOverlap { code, other, .. } => vec![code, other],
            Self::OutsideParent { code, parent, .. } => vec![code, parent],
            other => vec![other.code()],
        }
    }

    pub fn code(&self) -> &str {
        match self {
            Self::InvalidGeometry { code, .. }
            | Self::DuplicateCode { code }
            | Self::UnknownParent { code, .. }
            | Self::Cycle { code }
            | Self::WrongLevel { code, .. }
            | Self::StartsBeforeParent { code, .. }
            | Self::OutsideParent { code, .. }
            | Self::SiblingOverlap { code, .. }
            | Self::InUse { code, .. } => code,
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidGeometry { code, reason } => write!(f, "cell {code}: {reason}"),
            Self::DuplicateCode { code } => write!(f, "cell {code}: the code is already used by another cell"),
            Self::UnknownParent { code, parent } => {
                write!(f, "cell {code}: parent {parent} does not exist or is retired")
            }
            Self::Cycle { code } => write!(f, "cell {code}: its parent chain leads back to itself"),
            Self::WrongLevel { code, reason } => write!(f, "cell {code}: {reason}"),
            Self::StartsBeforeParent { code, parent, starts, parent_starts } => {
                write!(f, "cell {code} would apply from {starts}, before its parent {parent} (from {parent_starts})")
            }
            Self::OutsideParent { code, parent, share } => {
                write!(f, "cell {code}: {:.2}% of its area lies outside its parent {parent}", share * 100.0)
            }
            Self::SiblingOverlap { code, other, share } => {
                write!(f, "cells {code} and {other} overlap by {:.2}% of the smaller one", share * 100.0)
            }
            Self::InUse { code, reason } => write!(f, "cell {code}: {reason}"),
        }
    }
}

/// Checks the rules for the `changed` cells of a prospective grid (all active cells, the changes
/// applied). Unchanged cells are checked only where a change touches them: the children of a changed
/// cell must still fit inside it, and its siblings must not overlap it.
pub fn check(grid: &HashMap<CellCode, CellShape>, changed: &BTreeSet<CellCode>, tol: Tolerances) -> Vec<Violation> {
    let mut children: HashMap<&CellCode, Vec<&CellShape>> = HashMap::new();
    // Cells without a parent (level 1) are siblings of one another: two cities must not overlap either.
    let mut roots = Vec::new();
    for cell in grid.values() {
        match &cell.parent {
            Some(parent) => children.entry(parent).or_default().push(cell),
            None => roots.push(cell),
        }
    }
    let mut violations = Vec::new();
    let mut overlaps_seen = BTreeSet::new();
    for code in changed {
        let Some(cell) = grid.get(code) else { continue };
        if let Some(v) = check_hierarchy(grid, cell) {
            violations.push(v);
            continue;
        }
        let parent = cell.parent.as_ref().and_then(|p| grid.get(p));
        if let Some(parent) = parent {
            violations.extend(outside(cell, parent, tol));
        }
        let siblings = match parent {
            Some(parent) => children.get(&parent.code),
            None => Some(&roots),
        };
        {
            for sibling in siblings.into_iter().flatten() {
                if sibling.code == cell.code {
                    continue;
                }
                let pair =
                    if cell.code < sibling.code { (&cell.code, &sibling.code) } else { (&sibling.code, &cell.code) };
                if !overlaps_seen.insert(pair) {
                    continue;
                }
                let share = cell.boundary.overlap_fraction(&sibling.boundary);
                if share > tol.sibling_overlap {
                    violations.push(Violation::SiblingOverlap {
                        code: pair.0.to_string(),
                        other: pair.1.to_string(),
                        share,
                    });
                }
            }
        }
        for child in children.get(&cell.code).into_iter().flatten() {
            if !changed.contains(&child.code) {
                match check_hierarchy(grid, child) {
                    Some(v) => violations.push(v),
                    None => violations.extend(outside(child, cell, tol)),
                }
            }
        }
    }
    violations
}

fn outside(child: &CellShape, parent: &CellShape, tol: Tolerances) -> Option<Violation> {
    let share = child.boundary.fraction_outside(&parent.boundary);
    (share > tol.outside_parent).then(|| Violation::OutsideParent {
        code: child.code.to_string(),
        parent: parent.code.to_string(),
        share,
    })
}

/// Parent exists, no cycle, and the level is exactly one below the parent's (level 1 has no parent).
fn check_hierarchy(grid: &HashMap<CellCode, CellShape>, cell: &CellShape) -> Option<Violation> {
    let code = cell.code.to_string();
    let Some(parent_code) = &cell.parent else {
        return (cell.level != Level::CITY).then(|| Violation::WrongLevel {
            code,
            reason: format!("a level-{} cell needs a parent; only level 1 stands alone", cell.level.get()),
        });
    };
    let mut seen = BTreeSet::from([&cell.code]);
    let mut next = Some(parent_code);
    while let Some(code_up) = next {
        if !seen.insert(code_up) {
            return Some(Violation::Cycle { code });
        }
        next = grid.get(code_up).and_then(|c| c.parent.as_ref());
    }
    let Some(parent) = grid.get(parent_code) else {
        return Some(Violation::UnknownParent { code, parent: parent_code.to_string() });
    };
    if cell.valid_from < parent.valid_from {
        return Some(Violation::StartsBeforeParent {
            code,
            parent: parent.code.to_string(),
            starts: cell.valid_from,
            parent_starts: parent.valid_from,
        });
    }
    (cell.level.get() != parent.level.get() + 1).then(|| Violation::WrongLevel {
        code,
        reason: format!(
            "level {} cannot sit under {} (level {}); a child is exactly one level below its parent",
            cell.level.get(),
            parent.code,
            parent.level.get()
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::geometry::GeometryJson;

    const TOL: Tolerances = Tolerances { outside_parent: 0.01, sibling_overlap: 0.01 };

    fn cell(code: &str, level: i64, parent: Option<&str>, square: (f64, f64, f64)) -> CellShape {
        let (x0, y0, s) = square;
        let json = GeometryJson::Polygon {
            coordinates: vec![vec![
                vec![x0, y0],
                vec![x0 + s, y0],
                vec![x0 + s, y0 + s],
                vec![x0, y0 + s],
                vec![x0, y0],
            ]],
        };
        CellShape {
            code: CellCode::parse(code).unwrap(),
            level: Level::try_from(level).unwrap(),
            parent: parent.map(|p| CellCode::parse(p).unwrap()),
            boundary: Boundary::parse(&json, usize::MAX).unwrap(),
            valid_from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        }
    }

    fn run(cells: Vec<CellShape>, changed: &[&str]) -> Vec<Violation> {
        let grid = cells.into_iter().map(|c| (c.code.clone(), c)).collect();
        let changed = changed.iter().map(|c| CellCode::parse(c).unwrap()).collect();
        check(&grid, &changed, TOL)
    }

    fn base() -> Vec<CellShape> {
        vec![cell("C", 1, None, (0.0, 0.0, 10.0)), cell("D1", 2, Some("C"), (0.0, 0.0, 5.0))]
    }

    #[test]
    fn a_tidy_grid_passes() {
        let mut cells = base();
        cells.push(cell("D2", 2, Some("C"), (5.0, 0.0, 5.0)));
        assert_eq!(run(cells, &["C", "D1", "D2"]), vec![]);
    }

    #[test]
    fn levels_must_step_by_one() {
        let mut cells = base();
        cells.push(cell("S", 4, Some("D1"), (1.0, 1.0, 1.0)));
        assert!(matches!(run(cells, &["S"])[..], [Violation::WrongLevel { .. }]));
        assert!(matches!(run(vec![cell("X", 2, None, (0.0, 0.0, 1.0))], &["X"])[..], [Violation::WrongLevel { .. }]));
        assert!(matches!(
            run(vec![cell("X", 1, Some("C"), (0.0, 0.0, 1.0))], &["X"])[..],
            [Violation::UnknownParent { .. }]
        ));
    }

    #[test]
    fn cycles_are_named() {
        let a = cell("A", 2, Some("B"), (0.0, 0.0, 1.0));
        let b = cell("B", 2, Some("A"), (0.0, 0.0, 1.0));
        assert!(matches!(run(vec![a, b], &["A"])[..], [Violation::Cycle { .. }]));
        assert!(matches!(run(vec![cell("A", 2, Some("A"), (0.0, 0.0, 1.0))], &["A"])[..], [Violation::Cycle { .. }]));
    }

    #[test]
    fn children_stay_inside_parents_within_tolerance() {
        let mut cells = base();
        cells.push(cell("S", 3, Some("D1"), (4.0, 0.0, 2.0)));
        let v = run(cells, &["S"]);
        assert!(
            matches!(&v[..], [Violation::OutsideParent { code, parent, share }] if code == "S" && parent == "D1" && (*share - 0.5).abs() < 1e-9),
            "{v:?}"
        );
        let mut cells = base();
        cells.push(cell("S", 3, Some("D1"), (2.0, 0.0, 3.0 + 0.001)));
        assert_eq!(run(cells, &["S"]), vec![], "a sliver under the tolerance passes");
    }

    #[test]
    fn shrinking_a_parent_flags_its_children() {
        let mut cells = vec![cell("C", 1, None, (0.0, 0.0, 3.0))];
        cells.push(cell("D1", 2, Some("C"), (0.0, 0.0, 5.0)));
        assert!(matches!(run(cells, &["C"])[..], [Violation::OutsideParent { .. }]));
    }

    #[test]
    fn changing_a_level_checks_the_children_left_below() {
        // S moves up from street (under D1) to district (under C); its community V stays level 4.
        let mut cells = vec![cell("C", 1, None, (0.0, 0.0, 10.0)), cell("S", 2, Some("C"), (6.0, 6.0, 2.0))];
        cells.push(cell("V", 4, Some("S"), (6.5, 6.5, 1.0)));
        let v = run(cells, &["S"]);
        assert!(matches!(&v[..], [Violation::WrongLevel { code, .. }] if code == "V"), "{v:?}");
    }

    #[test]
    fn overlapping_siblings_name_both() {
        let mut cells = base();
        cells.push(cell("D2", 2, Some("C"), (4.0, 0.0, 5.0)));
        let v = run(cells, &["D2"]);
        assert!(
            matches!(&v[..], [Violation::SiblingOverlap { code, other, .. }] if code == "D1" && other == "D2"),
            "{v:?}"
        );
    }

    #[test]
    fn codes_and_levels_parse() {
        assert!(CellCode::parse("210102001").is_ok());
        assert!(CellCode::parse("a/b").is_err());
        assert!(CellCode::parse("").is_err());
        assert!(Level::try_from(0).is_err() && Level::try_from(5).is_err());
    }
}
