//! Cell boundaries: GeoJSON Polygon or MultiPolygon in WGS-84, parsed once into a checked shape.

use geo::algorithm::sweep::{Cross, Intersections};
use geo::{
    Area, BooleanOps, BoundingRect, Coord, CoordinatePosition, Intersects, Line, LineIntersection, LineString,
    MultiPolygon, Point, Polygon, Rect, coordinate_position::CoordPos,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A GeoJSON Polygon or MultiPolygon geometry, longitude first, WGS-84.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type")]
#[schema(example = json!({"type": "Polygon", "coordinates": [[[123.40, 41.78], [123.45, 41.78], [123.45, 41.82], [123.40, 41.82], [123.40, 41.78]]]}))]
pub enum GeometryJson {
    Polygon {
        /// Rings of [lon, lat] positions; the first is the exterior, the rest are holes.
        coordinates: Vec<Vec<Vec<f64>>>,
    },
    MultiPolygon {
        /// Polygons, each a list of rings of [lon, lat] positions.
        coordinates: Vec<Vec<Vec<Vec<f64>>>>,
    },
}

/// Why a geometry is not an acceptable boundary.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GeometryError {
    #[error("{ring} has {count} positions; a ring needs at least 4")]
    TooFewPositions { ring: String, count: usize },
    #[error("{ring} is not closed: its first and last positions differ")]
    Unclosed { ring: String },
    #[error("{ring} has a position that is not [longitude, latitude]")]
    BadPosition { ring: String },
    #[error("{ring} has a coordinate that is not a finite number")]
    NotFinite { ring: String },
    #[error("{ring} has a coordinate out of range (longitude −180…180, latitude −90…90)")]
    OutOfRange { ring: String },
    #[error("the boundary has {count} positions; at most {max} are accepted")]
    TooManyVertices { count: usize, max: usize },
    #[error("the geometry has no polygon")]
    Empty,
    #[error("the geometry is not valid: {0}")]
    Invalid(String),
}

/// A validated boundary with its bounding box.
#[derive(Debug, Clone)]
pub struct Boundary {
    shape: MultiPolygon<f64>,
    bbox: Rect<f64>,
    area: f64,
}

impl Boundary {
    /// Parses and fully validates a boundary received from a client, of at most `max_vertices`
    /// positions (counted before any other work).
    pub fn parse(json: &GeometryJson, max_vertices: usize) -> Result<Self, GeometryError> {
        let count = json.vertices();
        if count > max_vertices {
            return Err(GeometryError::TooManyVertices { count, max: max_vertices });
        }
        let boundary = Self::from_trusted(json)?;
        check_valid(&boundary.shape).map_err(|problem| GeometryError::Invalid(problem.into()))?;
        if boundary.area == 0.0 {
            return Err(GeometryError::Invalid("the area is zero".into()));
        }
        Ok(boundary)
    }

    /// Builds a boundary that was validated when it was stored, skipping the costly validity check.
    pub fn from_trusted(json: &GeometryJson) -> Result<Self, GeometryError> {
        let polygons = match json {
            GeometryJson::Polygon { coordinates } => vec![polygon(coordinates, "")?],
            GeometryJson::MultiPolygon { coordinates } => coordinates
                .iter()
                .enumerate()
                .map(|(i, rings)| polygon(rings, &format!("polygon {i}, ")))
                .collect::<Result<_, _>>()?,
        };
        let shape = MultiPolygon::new(polygons);
        let bbox = shape.bounding_rect().ok_or(GeometryError::Empty)?;
        let area = shape.unsigned_area();
        Ok(Self { shape, bbox, area })
    }

    pub fn shape(&self) -> &MultiPolygon<f64> {
        &self.shape
    }

    pub fn into_shape(self) -> MultiPolygon<f64> {
        self.shape
    }

    pub fn bbox(&self) -> Rect<f64> {
        self.bbox
    }

    /// True when the point lies inside or on the boundary.
    pub fn covers(&self, lon: f64, lat: f64) -> bool {
        self.shape.intersects(&Point::new(lon, lat))
    }

    /// Share of this boundary's area that lies outside `parent` (0 = fully inside).
    pub fn fraction_outside(&self, parent: &Boundary) -> f64 {
        if !self.bbox.intersects(&parent.bbox) {
            return 1.0;
        }
        self.shape.difference(&parent.shape).unsigned_area() / self.area
    }

    /// Overlap area as a share of the smaller of the two boundaries (0 = disjoint or touching).
    pub fn overlap_fraction(&self, other: &Boundary) -> f64 {
        if !self.bbox.intersects(&other.bbox) {
            return 0.0;
        }
        self.shape.intersection(&other.shape).unsigned_area() / self.area.min(other.area)
    }
}

fn polygon(rings: &[Vec<Vec<f64>>], prefix: &str) -> Result<Polygon<f64>, GeometryError> {
    if rings.is_empty() {
        return Err(GeometryError::Empty);
    }
    let mut rings = rings.iter().enumerate().map(|(i, ring)| {
        let name = if i == 0 { format!("{prefix}exterior ring") } else { format!("{prefix}hole {i}") };
        line_string(ring, name)
    });
    let exterior = rings.next().expect("checked non-empty")?;
    let holes = rings.collect::<Result<Vec<_>, _>>()?;
    Ok(Polygon::new(exterior, holes))
}

fn line_string(positions: &[Vec<f64>], ring: String) -> Result<LineString<f64>, GeometryError> {
    if positions.len() < 4 {
        return Err(GeometryError::TooFewPositions { ring, count: positions.len() });
    }
    let mut coords = Vec::with_capacity(positions.len());
    for position in positions {
        let (x, y) = match position.as_slice() {
            [x, y] | [x, y, _] => (*x, *y),
            _ => return Err(GeometryError::BadPosition { ring }),
        };
        if !x.is_finite() || !y.is_finite() {
            return Err(GeometryError::NotFinite { ring });
        }
        if !(-180.0..=180.0).contains(&x) || !(-90.0..=90.0).contains(&y) {
            return Err(GeometryError::OutOfRange { ring });
        }
        coords.push(Coord { x, y });
    }
    if coords.first() != coords.last() {
        return Err(GeometryError::Unclosed { ring });
    }
    Ok(LineString::new(coords))
}

impl GeometryJson {
    /// Number of positions in all rings.
    pub fn vertices(&self) -> usize {
        match self {
            Self::Polygon { coordinates } => coordinates.iter().map(Vec::len).sum(),
            Self::MultiPolygon { coordinates } => coordinates.iter().flatten().map(Vec::len).sum(),
        }
    }

    /// The same geometry with every position passed through `f` (for coordinate-system conversion).
    pub fn map_positions(&self, f: impl Fn(f64, f64) -> (f64, f64)) -> Self {
        let ring = |r: &Vec<Vec<f64>>| {
            r.iter()
                .map(|p| match p.as_slice() {
                    [x, y, rest @ ..] => {
                        let (x, y) = f(*x, *y);
                        [x, y].into_iter().chain(rest.iter().copied()).collect()
                    }
                    other => other.to_vec(),
                })
                .collect()
        };
        let polygon = |p: &Vec<Vec<Vec<f64>>>| p.iter().map(ring).collect();
        match self {
            Self::Polygon { coordinates } => Self::Polygon { coordinates: polygon(coordinates) },
            Self::MultiPolygon { coordinates } => {
                Self::MultiPolygon { coordinates: coordinates.iter().map(polygon).collect() }
            }
        }
    }
}

impl From<&MultiPolygon<f64>> for GeometryJson {
    fn from(shape: &MultiPolygon<f64>) -> Self {
        let ring = |ls: &LineString<f64>| ls.0.iter().map(|c| vec![c.x, c.y]).collect::<Vec<_>>();
        let rings = |p: &Polygon<f64>| std::iter::once(p.exterior()).chain(p.interiors()).map(ring).collect::<Vec<_>>();
        match shape.0.as_slice() {
            [one] => GeometryJson::Polygon { coordinates: rings(one) },
            many => GeometryJson::MultiPolygon { coordinates: many.iter().map(rings).collect() },
        }
    }
}

/// One segment of a boundary and where it sits: polygon, ring, and position in the ring.
#[derive(Debug, Clone)]
struct Segment {
    line: Line<f64>,
    polygon: usize,
    ring: usize,
    index: usize,
    ring_segments: usize,
}

impl Cross for Segment {
    type Scalar = f64;

    fn line(&self) -> Line<f64> {
        self.line
    }
}

impl Segment {
    /// Consecutive in the same ring (the last segment is next to the first).
    fn next_to(&self, other: &Segment) -> bool {
        let gap = self.index.abs_diff(other.index);
        self.polygon == other.polygon && self.ring == other.ring && (gap == 1 || gap + 1 == self.ring_segments)
    }
}

/// The OGC validity a boundary needs, in O(n log n) for n vertices (plus the segment pairs whose x-ranges
/// overlap) instead of the quadratic pairwise check: a sweep finds every touching pair of segments once.
/// Rings must be simple; rings and polygons may touch each other only at single points; holes lie inside
/// their exterior and outside each other; polygons of a MultiPolygon lie outside each other.
fn check_valid(shape: &MultiPolygon<f64>) -> Result<(), &'static str> {
    let mut segments = Vec::new();
    for (p, polygon) in shape.iter().enumerate() {
        for (r, ring) in std::iter::once(polygon.exterior()).chain(polygon.interiors()).enumerate() {
            // Repeated positions add nothing to the shape; a zero-length segment would look like a touch.
            let mut coords: Vec<Coord<f64>> = ring.0.clone();
            coords.dedup();
            if coords.len() < 4 {
                return Err("a ring has fewer than three distinct corners");
            }
            let ring_segments = coords.len() - 1;
            segments.extend(coords.windows(2).enumerate().map(|(index, w)| Segment {
                line: Line::new(w[0], w[1]),
                polygon: p,
                ring: r,
                index,
                ring_segments,
            }));
        }
    }
    for (a, b, hit) in Intersections::from_iter(segments) {
        match hit {
            LineIntersection::Collinear { .. } => return Err("boundary segments overlap"),
            LineIntersection::SinglePoint { is_proper: true, .. } => return Err("boundary segments cross"),
            // Touching at an end: fine for neighbours in a ring and between different rings.
            LineIntersection::SinglePoint { .. } if a.next_to(&b) => {}
            LineIntersection::SinglePoint { .. } if a.polygon == b.polygon && a.ring == b.ring => {
                return Err("a ring touches itself");
            }
            LineIntersection::SinglePoint { .. } => {}
        }
    }
    // No ring crosses another now, so one vertex off the other's boundary tells inside from outside.
    let inside = |ring: &LineString<f64>, outer: &Polygon<f64>| {
        ring.coords().map(|c| outer.coordinate_position(c)).find(|pos| *pos != CoordPos::OnBoundary)
            == Some(CoordPos::Inside)
    };
    for polygon in shape {
        let exterior = Polygon::new(polygon.exterior().clone(), Vec::new());
        let holes: Vec<Polygon<f64>> =
            polygon.interiors().iter().map(|h| Polygon::new(h.clone(), Vec::new())).collect();
        for (i, hole) in holes.iter().enumerate() {
            if !inside(hole.exterior(), &exterior) {
                return Err("a hole lies outside its exterior ring");
            }
            if holes.iter().enumerate().any(|(j, other)| i != j && inside(hole.exterior(), other)) {
                return Err("a hole lies inside another hole");
            }
        }
    }
    for (i, polygon) in shape.iter().enumerate() {
        if shape.iter().enumerate().any(|(j, other)| i != j && inside(polygon.exterior(), other)) {
            return Err("polygons of the MultiPolygon overlap");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: usize = 1_000_000;

    pub fn square(x0: f64, y0: f64, size: f64) -> GeometryJson {
        let (x1, y1) = (x0 + size, y0 + size);
        GeometryJson::Polygon {
            coordinates: vec![vec![vec![x0, y0], vec![x1, y0], vec![x1, y1], vec![x0, y1], vec![x0, y0]]],
        }
    }

    fn ring(positions: &[(f64, f64)]) -> GeometryJson {
        GeometryJson::Polygon { coordinates: vec![positions.iter().map(|(x, y)| vec![*x, *y]).collect()] }
    }

    #[test]
    fn accepts_a_square_and_knows_its_box() {
        let b = Boundary::parse(&square(123.0, 41.0, 0.5), MAX).unwrap();
        assert_eq!(b.bbox().min(), Coord { x: 123.0, y: 41.0 });
        assert!(b.covers(123.25, 41.25));
        assert!(b.covers(123.0, 41.2), "the border belongs to the cell");
        assert!(!b.covers(122.9, 41.2));
    }

    #[test]
    fn rejects_each_kind_of_bad_ring() {
        let unclosed = ring(&[(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]);
        assert!(matches!(Boundary::parse(&unclosed, MAX), Err(GeometryError::Unclosed { .. })));
        let short = ring(&[(0.0, 0.0), (1.0, 0.0), (0.0, 0.0)]);
        assert!(matches!(Boundary::parse(&short, MAX), Err(GeometryError::TooFewPositions { count: 3, .. })));
        let far = ring(&[(0.0, 0.0), (200.0, 0.0), (1.0, 1.0), (0.0, 0.0)]);
        assert!(matches!(Boundary::parse(&far, MAX), Err(GeometryError::OutOfRange { .. })));
        let bowtie = ring(&[(0.0, 0.0), (1.0, 1.0), (1.0, 0.0), (0.0, 1.0), (0.0, 0.0)]);
        assert!(
            matches!(Boundary::parse(&bowtie, MAX), Err(GeometryError::Invalid(_))),
            "{:?}",
            Boundary::parse(&bowtie, MAX)
        );
        let nan = ring(&[(0.0, 0.0), (f64::NAN, 0.0), (1.0, 1.0), (0.0, 0.0)]);
        assert!(matches!(Boundary::parse(&nan, MAX), Err(GeometryError::NotFinite { .. })));
        let flat = ring(&[(0.0, 0.0), (1.0, 0.0), (2.0, 0.0), (0.0, 0.0)]);
        assert!(Boundary::parse(&flat, MAX).is_err());
        let point =
            GeometryJson::Polygon { coordinates: vec![vec![vec![0.0], vec![1.0, 0.0], vec![1.0, 1.0], vec![0.0]]] };
        assert!(matches!(Boundary::parse(&point, MAX), Err(GeometryError::BadPosition { .. })));
    }

    /// A regular polygon of `n` corners: a ring with as many vertices as a detailed real boundary.
    pub fn circle(n: usize, cx: f64, cy: f64, r: f64) -> Vec<Vec<f64>> {
        let mut ring: Vec<Vec<f64>> = (0..n)
            .map(|i| {
                let a = std::f64::consts::TAU * i as f64 / n as f64;
                vec![cx + r * a.cos(), cy + r * a.sin()]
            })
            .collect();
        ring.push(ring[0].clone());
        ring
    }

    #[test]
    fn large_rings_are_checked_without_pairwise_comparison() {
        let big = GeometryJson::Polygon { coordinates: vec![circle(200_000, 123.4, 41.8, 0.3)] };
        assert!(Boundary::parse(&big, MAX).is_ok());
        // The same ring with one vertex pulled across the ring's far side.
        let mut crossed = circle(200_000, 123.4, 41.8, 0.3);
        crossed[100] = vec![123.4 - 0.5, 41.8];
        let crossed = GeometryJson::Polygon { coordinates: vec![crossed] };
        assert!(matches!(Boundary::parse(&crossed, MAX), Err(GeometryError::Invalid(_))));
    }

    #[test]
    fn the_vertex_limit_comes_first() {
        let json = GeometryJson::Polygon { coordinates: vec![circle(100, 0.0, 0.0, 1.0)] };
        assert!(Boundary::parse(&json, 101).is_ok());
        assert_eq!(Boundary::parse(&json, 100).unwrap_err(), GeometryError::TooManyVertices { count: 101, max: 100 });
    }

    #[test]
    fn rings_and_polygons_may_touch_only_at_points() {
        let outer = vec![vec![0.0, 0.0], vec![4.0, 0.0], vec![4.0, 4.0], vec![0.0, 4.0], vec![0.0, 0.0]];
        let hole = |pts: &[(f64, f64)]| pts.iter().map(|(x, y)| vec![*x, *y]).collect::<Vec<_>>();
        let polygon = |rings: Vec<Vec<Vec<f64>>>| Boundary::parse(&GeometryJson::Polygon { coordinates: rings }, MAX);
        let inner = hole(&[(1.0, 1.0), (2.0, 1.0), (2.0, 2.0), (1.0, 2.0), (1.0, 1.0)]);
        assert!(polygon(vec![outer.clone(), inner.clone()]).is_ok());
        let touching = hole(&[(0.0, 0.0), (1.0, 1.0), (1.0, 0.5), (0.0, 0.0)]);
        assert!(polygon(vec![outer.clone(), touching]).is_ok(), "a hole may touch its exterior at a point");
        let outside = hole(&[(5.0, 5.0), (6.0, 5.0), (6.0, 6.0), (5.0, 5.0)]);
        assert!(polygon(vec![outer.clone(), outside]).is_err());
        let along = hole(&[(0.0, 1.0), (1.0, 1.0), (1.0, 2.0), (0.0, 2.0), (0.0, 1.0)]);
        assert!(polygon(vec![outer.clone(), along]).is_err(), "a hole sharing an edge with its exterior");
        let nested = hole(&[(1.2, 1.2), (1.8, 1.2), (1.8, 1.8), (1.2, 1.2)]);
        assert!(polygon(vec![outer.clone(), inner, nested]).is_err());
        let figure_eight = hole(&[(0.0, 0.0), (2.0, 0.0), (1.0, 1.0), (2.0, 2.0), (0.0, 2.0), (1.0, 1.0), (0.0, 0.0)]);
        assert!(polygon(vec![figure_eight]).is_err(), "a ring touching itself");
        let spike = hole(&[(0.0, 0.0), (2.0, 0.0), (2.0, 2.0), (2.0, 3.0), (2.0, 2.0), (0.0, 2.0), (0.0, 0.0)]);
        assert!(polygon(vec![spike]).is_err());

        let multi = |polygons: Vec<Vec<Vec<Vec<f64>>>>| {
            Boundary::parse(&GeometryJson::MultiPolygon { coordinates: polygons }, MAX)
        };
        let square_at = |x: f64, y: f64, size: f64| match square(x, y, size) {
            GeometryJson::Polygon { coordinates } => coordinates,
            GeometryJson::MultiPolygon { .. } => unreachable!(),
        };
        assert!(multi(vec![square_at(0.0, 0.0, 1.0), square_at(1.0, 1.0, 1.0)]).is_ok(), "corners touch");
        assert!(multi(vec![square_at(0.0, 0.0, 4.0), square_at(1.0, 1.0, 1.0)]).is_err(), "one inside the other");
        assert!(multi(vec![square_at(0.0, 0.0, 1.0), square_at(1.0, 0.0, 1.0)]).is_err(), "sharing an edge");
        let with_hole = vec![outer, hole(&[(1.0, 1.0), (3.0, 1.0), (3.0, 3.0), (1.0, 3.0), (1.0, 1.0)])];
        assert!(multi(vec![with_hole, square_at(1.5, 1.5, 1.0)]).is_ok(), "an island in a lake");
    }

    #[test]
    fn measures_containment_and_overlap() {
        let parent = Boundary::parse(&square(0.0, 0.0, 10.0), MAX).unwrap();
        let inside = Boundary::parse(&square(1.0, 1.0, 2.0), MAX).unwrap();
        let half_out = Boundary::parse(&square(9.0, 1.0, 2.0), MAX).unwrap();
        assert_eq!(inside.fraction_outside(&parent), 0.0);
        assert!((half_out.fraction_outside(&parent) - 0.5).abs() < 1e-9);

        let neighbour = Boundary::parse(&square(3.0, 1.0, 2.0), MAX).unwrap();
        assert_eq!(inside.overlap_fraction(&neighbour), 0.0, "sharing an edge is not overlapping");
        let shifted = Boundary::parse(&square(2.0, 1.0, 2.0), MAX).unwrap();
        assert!((inside.overlap_fraction(&shifted) - 0.5).abs() < 1e-9);
    }

    #[test]
    fn geojson_round_trip() {
        let json = square(1.0, 2.0, 3.0);
        let b = Boundary::parse(&json, MAX).unwrap();
        assert_eq!(GeometryJson::from(b.shape()), json);
    }
}
