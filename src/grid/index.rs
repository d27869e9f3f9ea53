//! The in-memory point index: per level, an R-tree over cell bounding boxes, then an exact
//! point-in-polygon test that only looks at the edges near the point.
//!
//! Border rule: a point on a shared border (or in an overlap within tolerance) belongs to the deepest
//! level that covers it, and among cells of that level to the one with the smallest code. The chain is
//! that cell and its ancestors, so it always follows the hierarchy.

use std::collections::HashMap;

use geo::{Coord, Kernel, LineString, MultiPolygon, Orientation};
use rstar::{AABB, Envelope, RTree, RTreeObject};

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
    /// Position in `cells`, which is sorted by code: among candidates, the smaller position wins.
    position: u32,
}

impl RTreeObject for Entry {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        self.envelope
    }
}

/// An immutable snapshot of the active grid, answering "which cells contain this point".
pub struct GridIndex {
    cells: Vec<IndexedCell>,
    areas: Vec<Area>,
    parents: Vec<Option<u32>>,
    /// One tree per level, deepest first, so big outlines never slow down finding a community.
    levels: Vec<RTree<Entry>>,
}

impl GridIndex {
    pub fn new(mut cells: Vec<IndexedCell>) -> Self {
        cells.sort_by(|a, b| a.code.cmp(&b.code));
        let by_code: HashMap<CellCode, u32> =
            cells.iter().enumerate().map(|(i, c)| (c.code.clone(), i as u32)).collect();
        let parents = cells.iter().map(|c| c.parent.as_ref().and_then(|p| by_code.get(p).copied())).collect();
        let areas: Vec<Area> = cells.iter().map(|c| Area::new(&c.shape)).collect();
        let levels = (1..=Level::DEEPEST.get())
            .rev()
            .map(|level| {
                let entries = cells
                    .iter()
                    .zip(&areas)
                    .enumerate()
                    .filter(|(_, (cell, area))| cell.level.get() == level && !area.rings.is_empty())
                    .map(|(i, (_, area))| Entry { envelope: area.envelope, position: i as u32 })
                    .collect();
                RTree::bulk_load(entries)
            })
            .collect();
        Self { cells, areas, parents, levels }
    }

    pub fn len(&self) -> usize {
        self.cells.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    fn deepest_position(&self, lon: f64, lat: f64) -> Option<u32> {
        let point = Coord { x: lon, y: lat };
        let probe = AABB::from_point([lon, lat]);
        self.levels.iter().find_map(|tree| {
            tree.locate_in_envelope_intersecting(&probe)
                .filter(|e| self.areas[e.position as usize].covers(point))
                .map(|e| e.position)
                .min()
        })
    }

    /// The deepest cell covering the point (WGS-84), by the border rule above.
    pub fn deepest(&self, lon: f64, lat: f64) -> Option<&IndexedCell> {
        self.deepest_position(lon, lat).map(|i| &self.cells[i as usize])
    }

    /// The chain from level 1 down to the deepest cell covering the point; empty outside every cell.
    pub fn locate(&self, lon: f64, lat: f64) -> Vec<&IndexedCell> {
        let mut chain = Vec::with_capacity(4);
        let mut next = self.deepest_position(lon, lat);
        while let Some(i) = next {
            chain.push(&self.cells[i as usize]);
            next = self.parents[i as usize];
        }
        chain.reverse();
        chain
    }
}

/// A cell's polygons prepared for point tests.
struct Area {
    envelope: AABB<[f64; 2]>,
    /// Per polygon: the exterior ring, then its holes.
    rings: Vec<Vec<BandedRing>>,
}

impl Area {
    fn new(shape: &MultiPolygon<f64>) -> Self {
        let rings: Vec<Vec<BandedRing>> = shape
            .0
            .iter()
            .map(|p| std::iter::once(p.exterior()).chain(p.interiors()).map(BandedRing::new).collect())
            .collect();
        let envelope =
            rings.iter().flatten().map(|r| r.envelope).reduce(|a, b| a.merged(&b)).unwrap_or(AABB::new_empty());
        Self { envelope, rings }
    }

    /// Inside or on the boundary.
    fn covers(&self, point: Coord<f64>) -> bool {
        self.rings.iter().any(|polygon| {
            let (exterior, holes) = polygon.split_first().expect("a polygon has an exterior");
            match exterior.position(point) {
                Position::Outside => false,
                Position::OnBoundary => true,
                Position::Inside => holes.iter().all(|hole| hole.position(point) != Position::Inside),
            }
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Position {
    Inside,
    OnBoundary,
    Outside,
}

/// A ring's edges sorted into horizontal bands, so a point test only looks at the edges of its band:
/// only edges spanning the point's latitude can change the winding number.
struct BandedRing {
    envelope: AABB<[f64; 2]>,
    band_height: f64,
    bands: Vec<Vec<(Coord<f64>, Coord<f64>)>>,
}

const EDGES_PER_BAND: usize = 8;

impl BandedRing {
    fn new(ring: &LineString<f64>) -> Self {
        let edges: Vec<(Coord<f64>, Coord<f64>)> = ring.lines().map(|l| (l.start, l.end)).collect();
        let (min_y, max_y) =
            ring.0.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), c| (lo.min(c.y), hi.max(c.y)));
        let (min_x, max_x) =
            ring.0.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), c| (lo.min(c.x), hi.max(c.x)));
        let count = (edges.len() / EDGES_PER_BAND).max(1);
        let band_height = ((max_y - min_y) / count as f64).max(f64::MIN_POSITIVE);
        let mut banded = Self {
            envelope: AABB::from_corners([min_x, min_y], [max_x, max_y]),
            band_height,
            bands: vec![Vec::new(); count],
        };
        for (a, b) in edges {
            let (lo, hi) = (banded.band_of(a.y.min(b.y)), banded.band_of(a.y.max(b.y)));
            for band in &mut banded.bands[lo..=hi] {
                band.push((a, b));
            }
        }
        banded
    }

    fn band_of(&self, y: f64) -> usize {
        (((y - self.envelope.lower()[1]) / self.band_height) as usize).min(self.bands.len() - 1)
    }

    /// Winding-number test with exact orientation, as geo's `coord_pos_relative_to_ring`, over the
    /// edges of the point's band only.
    fn position(&self, c: Coord<f64>) -> Position {
        let ([min_x, min_y], [max_x, max_y]) = (self.envelope.lower(), self.envelope.upper());
        if c.x < min_x || c.x > max_x || c.y < min_y || c.y > max_y {
            return Position::Outside;
        }
        let between = |v: f64, a: f64, b: f64| (a <= v && v <= b) || (b <= v && v <= a);
        let mut winding = 0;
        for &(start, end) in &self.bands[self.band_of(c.y)] {
            if start.y <= c.y {
                if end.y >= c.y {
                    let o = <f64 as geo::GeoNum>::Ker::orient2d(start, end, c);
                    if o == Orientation::CounterClockwise && end.y != c.y {
                        winding += 1;
                    } else if o == Orientation::Collinear && between(c.x, start.x, end.x) {
                        return Position::OnBoundary;
                    }
                }
            } else if end.y <= c.y {
                let o = <f64 as geo::GeoNum>::Ker::orient2d(start, end, c);
                if o == Orientation::Clockwise {
                    winding -= 1;
                } else if o == Orientation::Collinear && between(c.x, start.x, end.x) {
                    return Position::OnBoundary;
                }
            }
        }
        if winding == 0 { Position::Outside } else { Position::Inside }
    }
}

#[cfg(test)]
mod tests {
    use geo::{Intersects, Point, polygon};
    use proptest::prelude::*;

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
        // A corner of the city is still the city.
        assert_eq!(codes(&index, 4.0, 4.0), ["C"]);
    }

    #[test]
    fn holes_are_outside_and_their_edges_inside() {
        let with_hole = IndexedCell {
            shape: MultiPolygon::new(vec![polygon!(
                exterior: [(x: 0.0, y: 0.0), (x: 4.0, y: 0.0), (x: 4.0, y: 4.0), (x: 0.0, y: 4.0)],
                interiors: [[(x: 1.0, y: 1.0), (x: 3.0, y: 1.0), (x: 3.0, y: 3.0), (x: 1.0, y: 3.0)]],
            )]),
            ..cell("H", 1, None, 0.0, 0.0, 1.0)
        };
        let index = GridIndex::new(vec![with_hole]);
        assert_eq!(codes(&index, 0.5, 2.0), ["H"]);
        assert!(codes(&index, 2.0, 2.0).is_empty());
        assert_eq!(codes(&index, 1.0, 2.0), ["H"]);
    }

    proptest! {
        /// The banded test agrees with geo's boundary-inclusive `intersects` on an irregular ring.
        #[test]
        fn banded_rings_agree_with_geo(x in -1.0f64..11.0, y in -1.0f64..11.0, snap in 0u8..4) {
            let ring: Vec<(f64, f64)> = (0..40)
                .map(|i| {
                    let t = i as f64 / 40.0 * std::f64::consts::TAU;
                    let r = 4.0 + (i % 3) as f64;
                    (5.0 + r * t.cos(), 5.0 + r * t.sin())
                })
                .collect();
            let polygon = geo::Polygon::new(LineString::from(ring.clone()), vec![]);
            // Sometimes test a vertex or an edge midpoint exactly.
            let (x, y) = match snap {
                0 => ring[(x.abs() as usize * 3) % 40],
                1 => {
                    let (a, b) = (ring[(y.abs() as usize) % 40], ring[(y.abs() as usize + 1) % 40]);
                    ((a.0 + b.0) / 2.0, (a.1 + b.1) / 2.0)
                }
                _ => (x, y),
            };
            let area = Area::new(&MultiPolygon::new(vec![polygon.clone()]));
            prop_assert_eq!(area.covers(Coord { x, y }), polygon.intersects(&Point::new(x, y)));
        }
    }
}
