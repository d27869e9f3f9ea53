//! Chinese coordinate systems. Phones send GCJ-02 (Amap, Tencent, most SDKs) or BD-09 (Baidu); airgrid
//! stores and computes in WGS-84 and converts at the edge.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The coordinate reference system of a longitude/latitude pair.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Crs {
    /// WGS-84 (GPS, EPSG:4326).
    #[default]
    Wgs84,
    /// GCJ-02 ("Mars" coordinates of Amap, Tencent and most Chinese phone SDKs).
    Gcj02,
    /// BD-09 (Baidu maps, BD09LL).
    Bd09,
}

impl Crs {
    /// Converts a position given in this system to WGS-84 (lon, lat). The GCJ-02 inverse is iterative
    /// and accurate to millimetres; outside mainland China the shift is zero and the input returns.
    pub fn to_wgs84(self, lon: f64, lat: f64) -> (f64, f64) {
        match self {
            Crs::Wgs84 => (lon, lat),
            Crs::Gcj02 => coordtransform::gcj02_to_wgs84(lon, lat),
            Crs::Bd09 => coordtransform::bd09_to_wgs84(lon, lat),
        }
    }

    /// Converts a WGS-84 position (lon, lat) into this system.
    pub fn from_wgs84(self, lon: f64, lat: f64) -> (f64, f64) {
        match self {
            Crs::Wgs84 => (lon, lat),
            Crs::Gcj02 => coordtransform::wgs84_to_gcj02(lon, lat),
            Crs::Bd09 => coordtransform::wgs84_to_bd09(lon, lat),
        }
    }
}

/// `min_lon,min_lat,max_lon,max_lat` in `crs`, as a WGS-84 box.
pub fn parse_bbox(raw: &str, crs: Crs) -> Result<[f64; 4], String> {
    let parts: Vec<f64> = raw
        .split(',')
        .map(|p| p.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| "must be four numbers: min_lon,min_lat,max_lon,max_lat".to_owned())?;
    match parts.as_slice() {
        [a, b, c, d] if a <= c && b <= d && parts.iter().all(|v| v.is_finite()) => {
            let (min_lon, min_lat) = crs.to_wgs84(*a, *b);
            let (max_lon, max_lat) = crs.to_wgs84(*c, *d);
            Ok([min_lon, min_lat, max_lon, max_lat])
        }
        _ => Err("must be four numbers min_lon,min_lat,max_lon,max_lat with min ≤ max".into()),
    }
}

/// Great-circle distance in metres (haversine), for accuracy checks.
pub fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    use geo::{Distance, Haversine, Point};
    Haversine.distance(Point::new(a.0, a.1), Point::new(b.0, b.1))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn shenyang_reference_point() {
        // Reference values for Shenyang (41.8057 N, 123.4315 E).
        let (lon, lat) = Crs::Gcj02.from_wgs84(123.4315, 41.8057);
        assert!(distance_m((lon, lat), (123.4376357, 41.8081280)) < 0.5);
        let (lon, lat) = Crs::Bd09.from_wgs84(123.4315, 41.8057);
        assert!(distance_m((lon, lat), (123.4442224, 41.8139084)) < 0.5);
        assert!(distance_m(Crs::Gcj02.to_wgs84(123.4376357, 41.8081280), (123.4315, 41.8057)) < 0.5);
    }

    #[test]
    fn outside_china_nothing_moves() {
        for crs in [Crs::Gcj02, Crs::Bd09] {
            assert_eq!(crs.to_wgs84(2.35, 48.85), (2.35, 48.85));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// The inverse is better than 0.5 m anywhere in mainland China (and in Shenyang in particular).
        #[test]
        fn round_trip_is_sub_half_metre(lon in 73.7f64..134.7, lat in 18.2f64..53.4) {
            if !coordtransform::is_in_mainland_china(lon, lat) {
                return Ok(()); // no shift applies there
            }
            for crs in [Crs::Gcj02, Crs::Bd09] {
                let (x, y) = crs.from_wgs84(lon, lat);
                let back = crs.to_wgs84(x, y);
                prop_assert!(distance_m(back, (lon, lat)) < 0.5, "{crs:?}: {:?} -> {:?}", (lon, lat), back);
            }
        }

        #[test]
        fn round_trip_in_shenyang(lon in 122.4f64..123.85, lat in 41.19f64..43.05) {
            for crs in [Crs::Gcj02, Crs::Bd09] {
                let back = crs.to_wgs84(crs.from_wgs84(lon, lat).0, crs.from_wgs84(lon, lat).1);
                prop_assert!(distance_m(back, (lon, lat)) < 0.05);
            }
        }
    }
}
