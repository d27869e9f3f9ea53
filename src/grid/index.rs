//! The in-memory point index: an R-tree over cell bounding boxes, then exact point-in-polygon.
//!
//! Border rule: a point on a shared border (or in an overlap within tolerance) belongs to the deepest
//! level that covers it, and among cells of that level to the one with the smallest code. The chain is
//! that cell and its ancestors, so it always follows the hierarchy.

use geo::{Intersects, MultiPolygon, Point};
use rstar::{AABB, RTree, RTreeObject};

use crate::domain::grid::{CellCode, Level};

/// One cell as the index keeps it.
#[derive(Debug, Clone)]
pub struct IndexedCell {
    pub code: CellCode,
    pub name: String,
    pub level: Level,
    pub parent: Option<CellCode>,
    pub shape: MultiPolygon<f64>,
}

impl From<crate::grid::service::CellDraft> for IndexedCell {
    fn from(d: crate::grid::service::CellDraft) -> Self {
        Self { code: d.code, name: d.name, level: d.level, parent: d.parent, shape: d.boundary.into_shape() }
    }
}

struct Entry {
    envelope: AABB<[f64; 2]>,
    /// Position in `cells`, which is sorted deepest level first, then by code: a smaller rank wins.
    rank: u32,
}

impl RTreeObject for Entry {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        self.envelope
    }
}

/// An immutable snapshot of the active grid, answering "which cells contain this point".
pub struct GridIndex {
    tree: RTree<Entry>,
    cells: Vec<IndexedCell>,
    by_code: std::collections::HashMap<CellCode, u32>,
}

impl GridIndex {
    pub fn new(mut cells: Vec<IndexedCell>) -> Self {
        cells.sort_by(|a, b| b.level.cmp(&a.level).then_with(|| a.code.cmp(&b.code)));
        let entries = cells
            .iter()
            .enumerate()
            .filter_map(|(rank, cell)| {
                let rect = geo::BoundingRect::bounding_rect(&cell.shape)?;
                let envelope = AABB::from_corners([rect.min().x, rect.min().y], [rect.max().x, rect.max().y]);
                Some(Entry { envelope, rank: rank as u32 })
            })
            .collect();
        let by_code = cells.iter().enumerate().map(|(i, c)| (c.code.clone(), i as u32)).collect();
        Self { tree: RTree::bulk_load(entries), cells, by_code }
    }

    pub fn len(&self) -> usize {
        self.cells.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// The deepest cell covering the point (WGS-84), by the border rule above.
    pub fn deepest(&self, lon: f64, lat: f64) -> Option<&IndexedCell> {
        let point = Point::new(lon, lat);
        let mut ranks = [u32::MAX; 64];
        let mut found = 0;
        let mut overflow = Vec::new();
        for entry in self.tree.locate_in_envelope_intersecting(&AABB::from_point([lon, lat])) {
            if found < ranks.len() {
                ranks[found] = entry.rank;
                found += 1;
            } else {
                overflow.push(entry.rank);
            }
        }
        let candidates = &mut ranks[..found];
        candidates.sort_unstable();
        overflow.sort_unstable();
        let mut ordered = candidates.iter().copied().chain(overflow);
        ordered.find_map(|rank| {
            let cell = &self.cells[rank as usize];
            cell.shape.intersects(&point).then_some(cell)
        })
    }

    /// The chain from level 1 down to the deepest cell covering the point; empty outside every cell.
    pub fn locate(&self, lon: f64, lat: f64) -> Vec<&IndexedCell> {
        let mut chain: Vec<&IndexedCell> = Vec::with_capacity(4);
        let mut next = self.deepest(lon, lat);
        while let Some(cell) = next {
            chain.push(cell);
            next = cell.parent.as_ref().and_then(|p| self.get(p));
        }
        chain.reverse();
        chain
    }

    pub fn get(&self, code: &CellCode) -> Option<&IndexedCell> {
        self.by_code.get(code).map(|&i| &self.cells[i as usize])
    }

    /// Approximate heap use in bytes: vertices, names and the tree.
    pub fn memory_bytes(&self) -> usize {
        let vertices: usize = self
            .cells
            .iter()
            .flat_map(|c| c.shape.0.iter())
            .map(|p| p.exterior().0.capacity() + p.interiors().iter().map(|r| r.0.capacity()).sum::<usize>())
            .sum();
        let names: usize = self.cells.iter().map(|c| c.name.capacity() + c.code.as_str().len() * 3).sum();
        let per_cell = std::mem::size_of::<IndexedCell>() + std::mem::size_of::<Entry>() * 2 + 48;
        vertices * std::mem::size_of::<geo::Coord<f64>>() + names + self.cells.len() * per_cell
    }
}

#[cfg(test)]
mod tests {
    use geo::polygon;

    use super::*;

    fn cell(code: &str, level: i64, parent: Option<&str>, x0: f64, y0: f64, size: f64) -> IndexedCell {
        let (x1, y1) = (x0 + size, y0 + size);
        IndexedCell {
            code: CellCode::parse(code).unwrap(),
            name: code.into(),
            level: Level::try_from(level).unwrap(),
            parent: parent.map(|p| CellCode::parse(p).unwrap()),
            shape: MultiPolygon::new(vec![polygon![(x: x0, y: y0), (x: x1, y: y0), (x: x1, y: y1), (x: x0, y: y1)]]),
        }
    }

    fn codes(index: &GridIndex, lon: f64, lat: f64) -> Vec<&str> {
        index.locate(lon, lat).iter().map(|c| c.code.as_str()).collect()
    }

    fn sample() -> GridIndex {
        GridIndex::new(vec![
            cell("C", 1, None, 0.0, 0.0, 4.0),
            cell("D1", 2, Some("C"), 0.0, 0.0, 2.0),
            cell("D2", 2, Some("C"), 2.0, 0.0, 2.0),
            cell("S1", 3, Some("D1"), 0.0, 0.0, 1.0),
            cell("S2", 3, Some("D2"), 2.0, 0.0, 1.0),
        ])
    }

    #[test]
    fn chains_run_from_the_root_to_the_deepest_cell() {
        let index = sample();
        assert_eq!(codes(&index, 0.5, 0.5), ["C", "D1", "S1"]);
        assert_eq!(codes(&index, 1.5, 1.5), ["C", "D1"], "no street there: the chain stops at the district");
        assert_eq!(codes(&index, 3.5, 1.5), ["C", "D2"]);
        assert_eq!(codes(&index, 3.5, 3.5), ["C"]);
        assert!(codes(&index, 9.0, 9.0).is_empty(), "outside every cell: an empty chain");
    }

    #[test]
    fn a_shared_border_goes_to_the_deepest_then_smallest_code() {
        let index = sample();
        // x = 2 is the border of D1 and D2; S2 starts there too and is deeper.
        assert_eq!(codes(&index, 2.0, 0.5), ["C", "D2", "S2"]);
        // Between D1 and D2 with no street on either side: the smaller code wins.
        assert_eq!(codes(&index, 2.0, 1.5), ["C", "D1"]);
    }
}
