//! Satellite fire points (火点): FIRMS rows read by header name, a detection's identity, the screening that
//! runs before anyone is sent out (confidence, static land sources, the register of known heat sources) and
//! the merge of repeat passes into fire events.

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, SubsecRound, Utc};
use chrono_tz::Tz;
use geo::{Contains, Distance, Euclidean, MultiPolygon, Point};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::crs::distance_m;

/// The satellite that saw a fire. FIRMS spells each several ways; other sources' names are kept as given.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Satellite {
    Terra,
    Aqua,
    SuomiNpp,
    Noaa20,
    Noaa21,
    /// A satellite of another source (e.g. `FY-3D`), lower-cased.
    Other(String),
}

impl Satellite {
    /// FIRMS codes: `T`/`Terra`, `A`/`Aqua`, `N` (S-NPP), `N20`/`1` (NOAA-20), `N21`/`2` (NOAA-21).
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        Some(match raw.to_ascii_lowercase().as_str() {
            "" => return None,
            "t" | "terra" => Self::Terra,
            "a" | "aqua" => Self::Aqua,
            "n" | "npp" | "snpp" | "suomi-npp" | "suomi npp" => Self::SuomiNpp,
            "n20" | "1" | "j1" | "noaa-20" | "noaa20" => Self::Noaa20,
            "n21" | "2" | "j2" | "noaa-21" | "noaa21" => Self::Noaa21,
            other => Self::Other(other.to_owned()),
        })
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::Terra => "terra",
            Self::Aqua => "aqua",
            Self::SuomiNpp => "snpp",
            Self::Noaa20 => "noaa20",
            Self::Noaa21 => "noaa21",
            Self::Other(name) => name,
        }
    }

    /// The instrument on board, where FIRMS fixes it.
    pub fn instrument(&self) -> Option<&'static str> {
        match self {
            Self::Terra | Self::Aqua => Some("MODIS"),
            Self::SuomiNpp | Self::Noaa20 | Self::Noaa21 => Some("VIIRS"),
            Self::Other(_) => None,
        }
    }
}

impl fmt::Display for Satellite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A VIIRS-style confidence class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConfidenceClass {
    Low,
    Nominal,
    High,
}

impl ConfidenceClass {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "l" | "low" => Some(Self::Low),
            "n" | "nominal" => Some(Self::Nominal),
            "h" | "high" => Some(Self::High),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Nominal => "nominal",
            Self::High => "high",
        }
    }
}

/// Detection confidence as the source gives it: MODIS a percentage, VIIRS a class. Never converted, so no
/// number is invented for a class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confidence {
    Percent(u8),
    Class(ConfidenceClass),
}

impl Confidence {
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        if let Ok(p) = raw.parse::<u8>() {
            return (p <= 100).then_some(Self::Percent(p));
        }
        ConfidenceClass::parse(raw).map(Self::Class)
    }

    /// Stored and shown as `57` or `nominal`.
    pub fn as_text(&self) -> String {
        match self {
            Self::Percent(p) => p.to_string(),
            Self::Class(c) => c.as_str().to_owned(),
        }
    }
}

/// Minimum confidence a detection needs to be sent out: one threshold for percentages (MODIS and other
/// percentage sources), one for classes (VIIRS).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    pub min_percent: u8,
    pub min_class: ConfidenceClass,
}

impl Default for Thresholds {
    /// Everything passes: small agricultural fires often come with low confidence, and they are what the
    /// season is judged on.
    fn default() -> Self {
        Self { min_percent: 0, min_class: ConfidenceClass::Low }
    }
}

impl Thresholds {
    pub fn passes(&self, confidence: Option<Confidence>) -> bool {
        match confidence {
            None => true,
            Some(Confidence::Percent(p)) => p >= self.min_percent,
            Some(Confidence::Class(c)) => c >= self.min_class,
        }
    }
}

/// One detection, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    /// Where the list came from: `firms` or another source's slug.
    pub source: String,
    pub satellite: Satellite,
    pub acquired_at: DateTime<Utc>,
    /// WGS-84 (FIRMS coordinates always are).
    pub lon: f64,
    pub lat: f64,
    /// MODIS `brightness` or VIIRS `bright_ti4`, K.
    pub brightness: Option<f64>,
    /// MODIS `bright_t31` or VIIRS `bright_ti5`, K.
    pub brightness_2: Option<f64>,
    pub frp: Option<f64>,
    pub scan: Option<f64>,
    pub track: Option<f64>,
    pub confidence: Option<Confidence>,
    pub daynight: Option<String>,
    pub version: Option<String>,
    /// FIRMS `type`: 0 vegetation fire, 1 volcano, 2 other static land source, 3 offshore.
    pub fire_type: Option<u8>,
}

impl Detection {
    /// Identity of a detection: source, satellite, acquisition minute and position (5 decimals, the
    /// precision VIIRS files carry). The same row in an overlapping download has the same identity.
    pub fn identity(&self) -> String {
        format!(
            "{}|{}|{}|{:.5}|{:.5}",
            self.source,
            self.satellite,
            self.acquired_at.format("%Y-%m-%dT%H:%MZ"),
            self.lat,
            self.lon
        )
    }
}

/// FIRMS `type` 2: an industrial or other static land source.
pub const STATIC_LAND_SOURCE: u8 = 2;

/// Reads one row. `get(column)` gives a field's trimmed text (None when absent or empty); columns are the
/// canonical FIRMS names (`latitude`, `brightness` for `bright_ti4` too, `bright_t31` for `bright_ti5` too)
/// plus `acquired_at` for sources that give one time instead of `acq_date` + `acq_time`. `now` bounds the
/// time; local times without a zone are in `tz`. Every bad field is named.
pub fn parse_row<'a>(
    get: impl Fn(&str) -> Option<&'a str>,
    source: &str,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<Detection, Vec<(&'static str, String)>> {
    let mut errors = Vec::new();
    let mut number = |field: &'static str, required: bool| -> Option<f64> {
        match get(field) {
            None if required => {
                errors.push((field, "is required".to_owned()));
                None
            }
            None => None,
            Some(raw) => match raw.parse::<f64>() {
                Ok(v) if v.is_finite() => Some(v),
                _ => {
                    errors.push((field, format!("must be a number, not {raw:?}")));
                    None
                }
            },
        }
    };
    let lat = number("latitude", true);
    let lon = number("longitude", true);
    let brightness = number("brightness", false);
    let brightness_2 = number("bright_t31", false);
    let frp = number("frp", false);
    let scan = number("scan", false);
    let track = number("track", false);
    if lat.is_some_and(|v| !(-90.0..=90.0).contains(&v)) {
        errors.push(("latitude", "must be between -90 and 90".into()));
    }
    if lon.is_some_and(|v| !(-180.0..=180.0).contains(&v)) {
        errors.push(("longitude", "must be between -180 and 180".into()));
    }
    let satellite = match get("satellite").and_then(Satellite::parse) {
        Some(s) => Some(s),
        None => {
            errors.push(("satellite", "is required".into()));
            None
        }
    };
    let confidence = match get("confidence") {
        None => None,
        Some(raw) => match Confidence::parse(raw) {
            Some(c) => Some(c),
            None => {
                errors.push(("confidence", format!("must be 0–100 or l/n/h (low/nominal/high), not {raw:?}")));
                None
            }
        },
    };
    let fire_type = match get("type") {
        None => None,
        Some(raw) => match raw.parse::<u8>() {
            Ok(t) if t <= 3 => Some(t),
            _ => {
                errors.push(("type", format!("must be 0, 1, 2 or 3, not {raw:?}")));
                None
            }
        },
    };
    let acquired_at = match acquisition(&get, tz) {
        Ok(t) if t > now + Duration::minutes(5) => {
            errors.push((
                if get("acquired_at").is_some() { "acquired_at" } else { "acq_date" },
                "is in the future".into(),
            ));
            None
        }
        Ok(t) => Some(t),
        Err(e) => {
            errors.push(e);
            None
        }
    };
    match (errors.is_empty(), lat, lon, satellite, acquired_at) {
        (true, Some(lat), Some(lon), Some(satellite), Some(acquired_at)) => Ok(Detection {
            source: source.to_owned(),
            satellite,
            acquired_at,
            lon,
            lat,
            brightness,
            brightness_2,
            frp,
            scan,
            track,
            confidence,
            daynight: get("daynight").map(str::to_owned),
            version: get("version").map(str::to_owned),
            fire_type,
        }),
        _ => Err(errors),
    }
}

fn acquisition<'a>(get: &impl Fn(&str) -> Option<&'a str>, tz: Tz) -> Result<DateTime<Utc>, (&'static str, String)> {
    if let Some(raw) = get("acquired_at") {
        return super::time::parse(raw, tz).map_err(|e| ("acquired_at", e));
    }
    let date = get("acq_date").ok_or(("acq_date", "is required".to_owned()))?;
    let date = NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .map_err(|_| ("acq_date", format!("must be a date such as 2020-09-30, not {date:?}")))?;
    let time = get("acq_time").ok_or(("acq_time", "is required".to_owned()))?;
    Ok(date.and_time(acq_time(time).ok_or(("acq_time", format!("must be HHMM UTC, not {time:?}")))?).and_utc())
}

/// `HHMM` UTC, zero-padded in downloads (`0255`) but not in the Area API (`41` is 00:41).
pub fn acq_time(raw: &str) -> Option<NaiveTime> {
    if raw.is_empty() || raw.len() > 4 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hhmm: u32 = raw.parse().ok()?;
    NaiveTime::from_hms_opt(hhmm / 100, hhmm % 100, 0)
}

/// Why a detection was kept from dispatch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScreenReason {
    /// Below the configured minimum confidence for its kind.
    LowConfidence,
    /// FIRMS `type` 2, a static land source.
    StaticLandSource,
    /// Within the radius of a registered heat source.
    HeatSource,
}

impl ScreenReason {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::LowConfidence => "low_confidence",
            Self::StaticLandSource => "static_land_source",
            Self::HeatSource => "heat_source",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::LowConfidence, Self::StaticLandSource, Self::HeatSource].into_iter().find(|r| r.as_str() == raw)
    }
}

/// What a registered heat source is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HeatSourceKind {
    /// 电厂 (thermal power, heating plants).
    PowerPlant,
    /// 钢铁厂.
    Steelworks,
    /// 炼油厂, petrochemical works.
    Refinery,
    /// 窑炉: brick, lime, cement and ceramic kilns.
    Kiln,
    /// 化工厂 and other flaring industry.
    ChemicalPlant,
    Other,
}

impl HeatSourceKind {
    pub const ALL: [HeatSourceKind; 6] =
        [Self::PowerPlant, Self::Steelworks, Self::Refinery, Self::Kiln, Self::ChemicalPlant, Self::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::PowerPlant => "power_plant",
            Self::Steelworks => "steelworks",
            Self::Refinery => "refinery",
            Self::Kiln => "kiln",
            Self::ChemicalPlant => "chemical_plant",
            Self::Other => "other",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }
}

/// A known static heat source (power plant, steelworks, refinery, kiln): a point or polygon and a radius
/// around it within which detections are not fires to chase.
#[derive(Debug, Clone, PartialEq)]
pub struct HeatSource {
    pub shape: HeatShape,
    pub radius_m: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum HeatShape {
    Point(Point<f64>),
    /// A site's outline.
    Site(MultiPolygon<f64>),
}

/// Metres per degree of latitude (and of longitude at the equator).
const M_PER_DEG: f64 = 111_320.0;

impl HeatSource {
    /// Whether (lon, lat) is inside the shape or within the radius of it.
    pub fn covers(&self, lon: f64, lat: f64) -> bool {
        match &self.shape {
            HeatShape::Point(p) => distance_m((p.x(), p.y()), (lon, lat)) <= self.radius_m,
            HeatShape::Site(site) => {
                let here = Point::new(lon, lat);
                if site.contains(&here) {
                    return true;
                }
                // Metres on a plane tangent at the point: exact enough for radii of a few kilometres.
                let scale = lat.to_radians().cos();
                let local = geo::MapCoords::map_coords(site, |c| geo::Coord {
                    x: (c.x - lon) * scale * M_PER_DEG,
                    y: (c.y - lat) * M_PER_DEG,
                });
                Euclidean.distance(&Point::new(0.0, 0.0), &local) <= self.radius_m
            }
        }
    }
}

/// The first screening reason that applies, in the order a person would check: the file's own flag, the
/// confidence, then the register.
pub fn screen<'h>(
    detection: &Detection,
    thresholds: &Thresholds,
    heat_sources: impl IntoIterator<Item = (&'h str, &'h HeatSource)>,
) -> Option<(ScreenReason, Option<String>)> {
    if detection.fire_type == Some(STATIC_LAND_SOURCE) {
        return Some((ScreenReason::StaticLandSource, None));
    }
    if !thresholds.passes(detection.confidence) {
        return Some((ScreenReason::LowConfidence, None));
    }
    heat_sources
        .into_iter()
        .find(|(_, h)| h.covers(detection.lon, detection.lat))
        .map(|(id, _)| (ScreenReason::HeatSource, Some(id.to_owned())))
}

/// When two detections are one fire: close in space and in time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MergeRule {
    pub distance_m: f64,
    pub window: Duration,
}

impl Default for MergeRule {
    fn default() -> Self {
        Self { distance_m: 1_000.0, window: Duration::hours(12) }
    }
}

/// Where a detection went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Joined the fire event with this index (in the order events were added or created).
    Joined(usize),
    /// Started a new fire event with this index.
    New(usize),
}

/// Groups detections into fire events: a detection joins the event of the nearest earlier detection within
/// the rule's distance and window (single linkage, so a fire that spreads stays one event), else starts one.
/// A spatial hash with cells as wide as the distance keeps each look-up to the 3×3 cells around the point.
/// Feed detections in time order; detections older than the window are dropped from the hash as it goes.
#[derive(Debug)]
pub struct Merger {
    rule: MergeRule,
    cells: HashMap<(i64, i64), Vec<Member>>,
    events: usize,
    pruned_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy)]
struct Member {
    event: usize,
    lon: f64,
    lat: f64,
    at: DateTime<Utc>,
}

impl Merger {
    pub fn new(rule: MergeRule) -> Self {
        Self { rule, cells: HashMap::new(), events: 0, pruned_at: None }
    }

    /// An existing event's detection (from earlier imports); returns nothing, the caller keeps the index
    /// it passes. Indexes must be `0..n` in the order of their first appearance.
    pub fn add_existing(&mut self, event: usize, lon: f64, lat: f64, at: DateTime<Utc>) {
        self.events = self.events.max(event + 1);
        self.insert(Member { event, lon, lat, at });
    }

    /// Places one detection.
    pub fn place(&mut self, lon: f64, lat: f64, at: DateTime<Utc>) -> Placement {
        self.prune(at);
        let (cx, cy) = self.cell_of(lon, lat);
        let mut best: Option<(f64, usize)> = None;
        for dx in -1..=1 {
            for dy in -1..=1 {
                for m in self.cells.get(&(cx + dx, cy + dy)).into_iter().flatten() {
                    if (at - m.at).abs() > self.rule.window {
                        continue;
                    }
                    let d = distance_m((m.lon, m.lat), (lon, lat));
                    if d <= self.rule.distance_m && best.is_none_or(|(bd, _)| d < bd) {
                        best = Some((d, m.event));
                    }
                }
            }
        }
        let placement = match best {
            Some((_, event)) => Placement::Joined(event),
            None => {
                self.events += 1;
                Placement::New(self.events - 1)
            }
        };
        let (Placement::Joined(event) | Placement::New(event)) = placement;
        self.insert(Member { event, lon, lat, at });
        placement
    }

    fn insert(&mut self, m: Member) {
        let key = self.cell_of(m.lon, m.lat);
        self.cells.entry(key).or_default().push(m);
    }

    /// Cells at least as wide as the distance in both directions, so a neighbour within it is always in
    /// the 3×3 block: degrees of latitude are counted short (110 km) and degrees of longitude as at 70°,
    /// which holds for every place nearer the equator than that.
    fn cell_of(&self, lon: f64, lat: f64) -> (i64, i64) {
        let size_deg = self.rule.distance_m.max(1.0) / 110_000.0;
        let lon_scale = 70f64.to_radians().cos();
        ((lon * lon_scale / size_deg).floor() as i64, (lat / size_deg).floor() as i64)
    }

    /// Drops members that no later detection can reach, once per window.
    fn prune(&mut self, now: DateTime<Utc>) {
        if self.pruned_at.is_some_and(|t| now - t < self.rule.window) {
            return;
        }
        let horizon = now - self.rule.window;
        self.cells.retain(|_, members| {
            members.retain(|m| m.at >= horizon);
            !members.is_empty()
        });
        self.pruned_at = Some(now);
    }
}

/// The ground finding (核查结果) of a fire event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Finding {
    /// Burning seen on the ground.
    BurningConfirmed,
    /// Burnt ground or ash, no fire any more.
    TracesOfBurning,
    /// An industrial heat source (a chimney, a furnace): a false alarm, and a candidate for the register.
    IndustrialHeatSource,
    /// Another heat source (a greenhouse boiler, a sunlit roof).
    OtherHeatSource,
    /// Nothing found.
    NothingFound,
}

impl Finding {
    pub const ALL: [Finding; 5] = [
        Self::BurningConfirmed,
        Self::TracesOfBurning,
        Self::IndustrialHeatSource,
        Self::OtherHeatSource,
        Self::NothingFound,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::BurningConfirmed => "burning_confirmed",
            Self::TracesOfBurning => "traces_of_burning",
            Self::IndustrialHeatSource => "industrial_heat_source",
            Self::OtherHeatSource => "other_heat_source",
            Self::NothingFound => "nothing_found",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == raw)
    }

    /// A burning happened: the incident goes on through the loop; otherwise it is a false alarm.
    pub fn is_burning(self) -> bool {
        matches!(self, Self::BurningConfirmed | Self::TracesOfBurning)
    }

    /// A heat source that may be added to the register.
    pub fn is_heat_source(self) -> bool {
        matches!(self, Self::IndustrialHeatSource | Self::OtherHeatSource)
    }
}

/// Now, as stored.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Polygon;
    use proptest::prelude::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn row<'a>(fields: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<&'a str> {
        move |k| fields.iter().find(|(n, _)| *n == k).map(|(_, v)| *v).filter(|v| !v.is_empty())
    }

    const TZ: Tz = chrono_tz::Asia::Shanghai;

    #[test]
    fn firms_rows_of_every_variant_parse() {
        let now = at("2026-01-01T00:00:00Z");
        let modis = [
            ("latitude", "41.758"),
            ("longitude", "122.957"),
            ("brightness", "304.2"),
            ("acq_date", "2020-09-30"),
            ("acq_time", "0255"),
            ("satellite", "T"),
            ("confidence", "31"),
            ("bright_t31", "292.8"),
            ("frp", "4.6"),
            ("daynight", "D"),
        ];
        let d = parse_row(row(&modis), "firms", now, TZ).unwrap();
        assert_eq!(d.satellite, Satellite::Terra);
        assert_eq!(d.acquired_at, at("2020-09-30T02:55:00Z"));
        assert_eq!(d.confidence, Some(Confidence::Percent(31)));
        assert_eq!(d.identity(), "firms|terra|2020-09-30T02:55Z|41.75800|122.95700");
        let viirs = [
            ("latitude", "44.01191"),
            ("longitude", "19.88847"),
            ("acq_date", "2025-03-19"),
            ("acq_time", "41"),
            ("satellite", "N"),
            ("confidence", "n"),
            ("type", "2"),
        ];
        let d = parse_row(row(&viirs), "firms", now, TZ).unwrap();
        assert_eq!(d.acquired_at, at("2025-03-19T00:41:00Z"));
        assert_eq!(d.confidence, Some(Confidence::Class(ConfidenceClass::Nominal)));
        assert_eq!(d.fire_type, Some(2));
        for (code, sat) in [
            ("Aqua", Satellite::Aqua),
            ("A", Satellite::Aqua),
            ("Terra", Satellite::Terra),
            ("1", Satellite::Noaa20),
            ("N20", Satellite::Noaa20),
            ("N21", Satellite::Noaa21),
        ] {
            assert_eq!(Satellite::parse(code), Some(sat), "{code}");
        }
        assert_eq!(Confidence::parse("high"), Some(Confidence::Class(ConfidenceClass::High)));
        assert_eq!(Confidence::parse("101"), None);
    }

    #[test]
    fn bad_rows_name_every_field() {
        let now = at("2026-01-01T00:00:00Z");
        let bad = [
            ("latitude", "abc"),
            ("longitude", "200"),
            ("acq_date", "2030-01-01"),
            ("acq_time", "0100"),
            ("confidence", "maybe"),
        ];
        let errors = parse_row(row(&bad), "firms", now, TZ).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["latitude", "longitude", "satellite", "confidence", "acq_date"]);
        assert!(errors.last().unwrap().1.contains("future"));
    }

    #[test]
    fn generic_sources_give_one_local_time() {
        let fields =
            [("latitude", "41.8"), ("longitude", "123.4"), ("acquired_at", "2026-10-01 10:30"), ("satellite", "FY-3D")];
        let d = parse_row(row(&fields), "lnsat", at("2027-01-01T00:00:00Z"), TZ).unwrap();
        assert_eq!(d.acquired_at, at("2026-10-01T02:30:00Z"));
        assert_eq!(d.satellite, Satellite::Other("fy-3d".into()));
    }

    #[test]
    fn acq_time_accepts_unpadded_and_rejects_nonsense() {
        assert_eq!(acq_time("41"), NaiveTime::from_hms_opt(0, 41, 0));
        assert_eq!(acq_time("255"), NaiveTime::from_hms_opt(2, 55, 0));
        assert_eq!(acq_time("0"), NaiveTime::from_hms_opt(0, 0, 0));
        for bad in ["", "2400", "0160", "12:30", "-5", "01000"] {
            assert_eq!(acq_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn screening_order_and_heat_sources() {
        let d = Detection {
            source: "firms".into(),
            satellite: Satellite::Aqua,
            acquired_at: at("2020-10-02T05:00:00Z"),
            lon: 123.0,
            lat: 41.8,
            brightness: None,
            brightness_2: None,
            frp: None,
            scan: None,
            track: None,
            confidence: Some(Confidence::Percent(20)),
            daynight: None,
            version: None,
            fire_type: None,
        };
        let strict = Thresholds { min_percent: 30, min_class: ConfidenceClass::Nominal };
        assert_eq!(screen(&d, &strict, []), Some((ScreenReason::LowConfidence, None)));
        assert_eq!(screen(&d, &Thresholds::default(), []), None);
        let plant = HeatSource { shape: HeatShape::Point(Point::new(123.005, 41.8)), radius_m: 500.0 };
        assert_eq!(
            screen(&d, &Thresholds::default(), [("p1", &plant)]),
            Some((ScreenReason::HeatSource, Some("p1".into())))
        );
        let far = HeatSource { shape: HeatShape::Point(Point::new(123.05, 41.8)), radius_m: 500.0 };
        assert_eq!(screen(&d, &Thresholds::default(), [("p2", &far)]), None);
        let flagged = Detection { fire_type: Some(2), ..d };
        assert_eq!(screen(&flagged, &strict, []), Some((ScreenReason::StaticLandSource, None)));
    }

    #[test]
    fn polygons_cover_inside_and_within_radius() {
        let square = Polygon::new(vec![(123.0, 41.0), (123.01, 41.0), (123.01, 41.01), (123.0, 41.01)].into(), vec![]);
        let works = HeatSource { shape: HeatShape::Site(MultiPolygon::new(vec![square])), radius_m: 300.0 };
        assert!(works.covers(123.005, 41.005));
        // ~250 m east of the east edge.
        assert!(works.covers(123.013, 41.005));
        // ~840 m east.
        assert!(!works.covers(123.02, 41.005));
    }

    #[test]
    fn repeat_passes_merge_and_distant_or_late_ones_do_not() {
        let mut m = Merger::new(MergeRule::default());
        assert_eq!(m.place(123.0, 41.8, at("2020-10-02T02:45:00Z")), Placement::New(0));
        // Aqua three hours later, 600 m away.
        assert_eq!(m.place(123.007, 41.8, at("2020-10-02T05:30:00Z")), Placement::Joined(0));
        // 5 km away: another fire.
        assert_eq!(m.place(123.06, 41.8, at("2020-10-02T05:30:00Z")), Placement::New(1));
        // Same place, two days later: a new fire.
        assert_eq!(m.place(123.0, 41.8, at("2020-10-04T05:30:00Z")), Placement::New(2));
    }

    #[test]
    fn existing_events_are_joined() {
        let mut m = Merger::new(MergeRule::default());
        m.add_existing(0, 123.0, 41.8, at("2020-10-02T02:45:00Z"));
        assert_eq!(m.place(123.001, 41.8, at("2020-10-02T03:00:00Z")), Placement::Joined(0));
        assert_eq!(m.place(124.0, 41.8, at("2020-10-02T03:00:00Z")), Placement::New(1));
    }

    proptest! {
        /// The hash gives what comparing every pair gives: a detection starts an event exactly when no
        /// earlier one is within the distance and the window.
        #[test]
        fn merger_agrees_with_all_pairs(points in prop::collection::vec((0.0f64..0.05, 0.0f64..0.05, 0i64..48), 1..60)) {
            let mut points: Vec<_> = points.into_iter().map(|(x, y, h)| (123.0 + x, 41.8 + y, at("2020-10-01T00:00:00Z") + Duration::hours(h))).collect();
            points.sort_by_key(|p| p.2);
            let rule = MergeRule::default();
            let mut m = Merger::new(rule);
            for (i, &(lon, lat, t)) in points.iter().enumerate() {
                let near = points[..i].iter().any(|&(l2, b2, t2)| (t - t2).abs() <= rule.window && distance_m((l2, b2), (lon, lat)) <= rule.distance_m);
                let placed = m.place(lon, lat, t);
                prop_assert_eq!(matches!(placed, Placement::Joined(_)), near);
            }
        }

        #[test]
        fn confidence_text_round_trips(p in 0u8..=100) {
            let c = Confidence::Percent(p);
            prop_assert_eq!(Confidence::parse(&c.as_text()), Some(c));
        }

        #[test]
        fn acq_time_of_any_minute(h in 0u32..24, mi in 0u32..60) {
            let unpadded = (h * 100 + mi).to_string();
            prop_assert_eq!(acq_time(&unpadded), NaiveTime::from_hms_opt(h, mi, 0));
            prop_assert_eq!(acq_time(&format!("{:04}", h * 100 + mi)), NaiveTime::from_hms_opt(h, mi, 0));
        }
    }
}
