//! Special control (特别管控) during heavy-pollution episodes: the city's ladder of levels, the lifecycle of an
//! activation, when two activations collide, and the outcome figures (days under control, and forecast
//! light-pollution days that ended good: 轻污拉良).
//!
//! Levels, their triggers, measures, prompts and tightened deadlines are per-city configuration (the national
//! thresholds are not fixed): the built-in ladder (`control_ladder.json`: temporary control below yellow, then
//! yellow, orange and red warnings with responses III, II, I) or a file of the same shape.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::aqi::Category;
use super::calendar::Span;

/// One prompt of a level, for one audience (分类提示).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"audience": "construction_sites", "text": "停止土石方、拆除和室外喷涂作业。"}))]
pub struct PromptItem {
    /// Who it is for: `grid_workers`, `construction_sites`, `enterprises`, `residents`…
    pub audience: String,
    pub text: String,
}

/// A rung of the ladder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ControlLevel)]
pub struct Level {
    /// `temporary`, `yellow`, `orange`, `red` in the built-in ladder.
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// The emergency response level (`III`, `II`, `I`); none below yellow.
    pub response: Option<String>,
    /// The forecast condition that calls for it, as the city's plan words it.
    pub trigger: String,
    /// Measures (catalogue codes) an activation at this level takes unless its plan says otherwise.
    pub measures: Vec<String>,
    /// What the grid is told when an activation reaches this level.
    pub prompts: Vec<PromptItem>,
    /// Rectification deadlines for new incidents under control at this level, by incident category code;
    /// a code also covers its subcategories (`dust` covers `dust.road`).
    #[schema(value_type = BTreeMap<String, Span>)]
    pub deadlines: BTreeMap<String, Span>,
}

impl Level {
    /// The tightened deadline for an incident category: its own entry, else its parent's.
    pub fn deadline_for(&self, category: &str) -> Option<Span> {
        self.deadlines.get(category).copied().or_else(|| {
            let (parent, _) = category.split_once('.')?;
            self.deadlines.get(parent).copied()
        })
    }
}

/// The city's levels, lowest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Ladder {
    levels: Vec<Level>,
}

impl Ladder {
    /// The built-in ladder.
    pub fn builtin() -> Self {
        Self::from_json(include_str!("control_ladder.json")).expect("the built-in ladder is valid")
    }

    /// A ladder from JSON: a list of levels, lowest first, with distinct codes, each with a name and at least
    /// one prompt, and deadlines of at least one unit.
    pub fn from_json(text: &str) -> Result<Self, String> {
        let levels: Vec<Level> = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if levels.is_empty() {
            return Err("the ladder has no levels".into());
        }
        let mut seen = BTreeSet::new();
        for level in &levels {
            let code = &level.code;
            if code.is_empty() || !code.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
                return Err(format!("level code {code:?} must be lower-case letters, digits and _"));
            }
            if !seen.insert(code.as_str()) {
                return Err(format!("level {code} appears twice"));
            }
            if level.name_zh.trim().is_empty() || level.name_en.trim().is_empty() {
                return Err(format!("level {code} needs name_zh and name_en"));
            }
            if level.prompts.is_empty() || level.prompts.iter().any(|p| p.text.trim().is_empty()) {
                return Err(format!("level {code} needs prompts, none of them empty"));
            }
            if let Some((category, _)) = level.deadlines.iter().find(|(_, span)| span.amount == 0) {
                return Err(format!("level {code}: the deadline for {category} must be at least 1"));
            }
        }
        Ok(Self { levels })
    }

    pub fn levels(&self) -> &[Level] {
        &self.levels
    }

    pub fn get(&self, code: &str) -> Option<&Level> {
        self.levels.iter().find(|l| l.code == code)
    }

    /// The codes, lowest first, for messages.
    pub fn codes(&self) -> Vec<&str> {
        self.levels.iter().map(|l| l.code.as_str()).collect()
    }
}

/// Where an activation is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ControlStatus {
    /// Decided, not yet in force.
    Planned,
    /// In force.
    Active,
    /// Ended after it was in force.
    Lifted,
    /// Called off before it came into force.
    Cancelled,
}

/// What may be done to an activation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ControlAction {
    Start,
    ChangeLevel,
    Lift,
    Cancel,
    /// Change the title, reason, planned times or forecast.
    Edit,
}

impl ControlStatus {
    pub const ALL: [Self; 4] = [Self::Planned, Self::Active, Self::Lifted, Self::Cancelled];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Planned => "planned",
            Self::Active => "active",
            Self::Lifted => "lifted",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// Planned and active activations hold their cells for their time.
    pub fn holds_cells(self) -> bool {
        matches!(self, Self::Planned | Self::Active)
    }

    /// The actions allowed from here.
    pub fn allowed(self) -> &'static [ControlAction] {
        use ControlAction::*;
        match self {
            Self::Planned => &[Start, ChangeLevel, Cancel, Edit],
            Self::Active => &[ChangeLevel, Lift, Edit],
            Self::Lifted | Self::Cancelled => &[],
        }
    }

    /// Where `action` leads from here, or `None` when it is not allowed.
    pub fn after(self, action: ControlAction) -> Option<Self> {
        self.allowed().contains(&action).then_some(match action {
            ControlAction::Start => Self::Active,
            ControlAction::Lift => Self::Lifted,
            ControlAction::Cancel => Self::Cancelled,
            ControlAction::ChangeLevel | ControlAction::Edit => self,
        })
    }
}

impl ControlAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::ChangeLevel => "change_level",
            Self::Lift => "lift",
            Self::Cancel => "cancel",
            Self::Edit => "edit",
        }
    }
}

/// A span of time, open-ended without an end: `[start, end)`.
pub type Window = (DateTime<Utc>, Option<DateTime<Utc>>);

/// Whether two windows share an instant.
pub fn windows_overlap(a: Window, b: Window) -> bool {
    let starts_before_end = |start: DateTime<Utc>, end: Option<DateTime<Utc>>| end.is_none_or(|end| start < end);
    starts_before_end(a.0, b.1) && starts_before_end(b.0, a.1)
}

/// Whether two cells (by path) share ground: one holds the other.
pub fn cells_overlap(a: &str, b: &str) -> bool {
    a.starts_with(b) || b.starts_with(a)
}

/// The local days the window `[start, end)` touches in `tz`, first to last (an activation lifted at 08:00 on
/// the third day was in force on three days; one lifted at midnight, on two).
pub fn days_touched(start: DateTime<Utc>, end: DateTime<Utc>, tz: Tz) -> Vec<NaiveDate> {
    let first = start.with_timezone(&tz).date_naive();
    let end = if end > start { end - chrono::Duration::microseconds(1) } else { start };
    let last = end.with_timezone(&tz).date_naive();
    first.iter_days().take_while(|d| *d <= last).collect()
}

/// A light-pollution day: daily AQI 101–150 (轻度污染).
pub fn is_light_pollution(aqi: u16) -> bool {
    Category::of(aqi.into()) == Category::LightlyPolluted
}

/// A good day: daily AQI at most 100 (优 or 良).
pub fn is_good(aqi: u16) -> bool {
    Category::of(aqi.into()) <= Category::Good
}

/// One day under control, as forecast and as observed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ControlDay {
    pub date: NaiveDate,
    /// The forecast daily AQI the activation was decided on, if the forecast covered the day.
    pub forecast_aqi: Option<u16>,
    /// The observed daily city AQI, once known.
    pub observed_aqi: Option<u16>,
    /// Forecast light pollution (101–150), observed good (≤ 100): 轻污拉良.
    pub pulled_to_good: bool,
}

/// The days under control with their forecast and observed AQI.
pub fn control_days(
    days: &[NaiveDate],
    forecast: &BTreeMap<NaiveDate, u16>,
    observed: &BTreeMap<NaiveDate, u16>,
) -> Vec<ControlDay> {
    days.iter()
        .map(|&date| {
            let (forecast_aqi, observed_aqi) = (forecast.get(&date).copied(), observed.get(&date).copied());
            let pulled_to_good = forecast_aqi.is_some_and(is_light_pollution) && observed_aqi.is_some_and(is_good);
            ControlDay { date, forecast_aqi, observed_aqi, pulled_to_good }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use proptest::prelude::*;

    use super::*;

    fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        chrono_tz::Asia::Shanghai.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn the_builtin_ladder_rises_from_temporary_control_to_red() {
        let ladder = Ladder::builtin();
        assert_eq!(ladder.codes(), ["temporary", "yellow", "orange", "red"]);
        let responses: Vec<_> = ladder.levels().iter().map(|l| l.response.as_deref()).collect();
        assert_eq!(responses, [None, Some("III"), Some("II"), Some("I")]);
        let orange = ladder.get("orange").unwrap();
        assert_eq!(orange.deadline_for("open_burning"), Some(Span::hours(2)));
        assert_eq!(orange.deadline_for("dust.road"), Some(Span::hours(8)), "a parent's entry covers subcategories");
        assert_eq!(ladder.get("temporary").unwrap().deadline_for("dust.road"), None);
        assert!(ladder.get("blue").is_none());
    }

    #[test]
    fn a_ladder_file_is_checked() {
        let level = |code: &str| {
            serde_json::json!({"code": code, "name_zh": "黄色预警", "name_en": "Yellow", "response": "III",
                "trigger": "AQI > 200", "measures": [], "prompts": [{"audience": "grid_workers", "text": "巡查"}],
                "deadlines": {"open_burning": {"amount": 4, "unit": "hours"}}})
        };
        assert!(Ladder::from_json(&serde_json::json!([level("yellow")]).to_string()).is_ok());
        let twice = serde_json::json!([level("yellow"), level("yellow")]).to_string();
        assert!(Ladder::from_json(&twice).unwrap_err().contains("twice"));
        assert!(Ladder::from_json("[]").is_err());
        assert!(Ladder::from_json(&serde_json::json!([level("Yellow")]).to_string()).is_err());
        let mut silent = level("yellow");
        silent["prompts"] = serde_json::json!([]);
        assert!(Ladder::from_json(&serde_json::json!([silent]).to_string()).is_err());
        let mut zero = level("yellow");
        zero["deadlines"]["open_burning"]["amount"] = 0.into();
        assert!(Ladder::from_json(&serde_json::json!([zero]).to_string()).is_err());
        let mut unknown = level("yellow");
        unknown["colour"] = "gold".into();
        assert!(Ladder::from_json(&serde_json::json!([unknown]).to_string()).is_err());
    }

    #[test]
    fn the_lifecycle_table() {
        use ControlAction::*;
        use ControlStatus::*;
        let table = [
            (Planned, Start, Some(Active)),
            (Planned, Cancel, Some(Cancelled)),
            (Planned, ChangeLevel, Some(Planned)),
            (Planned, Lift, None),
            (Active, Lift, Some(Lifted)),
            (Active, ChangeLevel, Some(Active)),
            (Active, Start, None),
            (Active, Cancel, None),
            (Lifted, Edit, None),
            (Cancelled, Start, None),
        ];
        for (from, action, to) in table {
            assert_eq!(from.after(action), to, "{from:?} {action:?}");
        }
        for status in ControlStatus::ALL {
            assert_eq!(ControlStatus::parse(status.as_str()), Some(status));
            assert_eq!(status.holds_cells(), !status.allowed().is_empty());
        }
    }

    #[test]
    fn windows_and_cells_collide_only_when_they_share_something() {
        let (a, b, c) = (at(2026, 1, 1, 0), at(2026, 1, 3, 0), at(2026, 1, 5, 0));
        assert!(windows_overlap((a, Some(c)), (b, None)));
        assert!(!windows_overlap((a, Some(b)), (b, Some(c))), "ending as the other starts is no overlap");
        assert!(windows_overlap((a, None), (c, None)));
        assert!(!windows_overlap((c, None), (a, Some(b))));
        assert!(cells_overlap("C/D1/", "C/D1/S1/"));
        assert!(cells_overlap("C/", "C/D2/"));
        assert!(!cells_overlap("C/D1/", "C/D2/"));
        assert!(!cells_overlap("C/D1/", "C/D10/"));
    }

    #[test]
    fn days_are_local_and_inclusive() {
        // 20:00 on 1 Jan to 08:00 on 3 Jan, Beijing time: three days.
        let days = days_touched(at(2026, 1, 1, 20), at(2026, 1, 3, 8), chrono_tz::Asia::Shanghai);
        assert_eq!(days.len(), 3);
        assert_eq!(days[0], NaiveDate::from_ymd_opt(2026, 1, 1).unwrap());
        // 07:00 Beijing on 1 Jan is still 31 Dec in UTC: the Beijing day counts.
        let early = days_touched(at(2026, 1, 1, 7), at(2026, 1, 1, 9), chrono_tz::Asia::Shanghai);
        assert_eq!(early, [NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()]);
        // Lifted at midnight: the day that then begins was not under control.
        assert_eq!(days_touched(at(2026, 1, 1, 20), at(2026, 1, 3, 0), chrono_tz::Asia::Shanghai).len(), 2);
    }

    #[test]
    fn a_day_is_pulled_to_good_when_forecast_light_and_observed_good() {
        let d = |n: u32| NaiveDate::from_ymd_opt(2026, 1, n).unwrap();
        let days = [d(1), d(2), d(3), d(4), d(5)];
        let forecast = BTreeMap::from([(d(1), 120), (d(2), 150), (d(3), 180), (d(4), 101), (d(5), 100)]);
        let observed = BTreeMap::from([(d(1), 95), (d(2), 130), (d(3), 90), (d(5), 80)]);
        let pulled: Vec<bool> = control_days(&days, &forecast, &observed).iter().map(|c| c.pulled_to_good).collect();
        // Day 2 stayed light, day 3 was forecast heavier, day 4 has no observation, day 5 was forecast good.
        assert_eq!(pulled, [true, false, false, false, false]);
        assert!(is_good(100) && !is_good(101) && is_light_pollution(101) && !is_light_pollution(151));
    }

    proptest! {
        #[test]
        fn overlap_is_symmetric(a in 0i64..100, la in 1i64..50, b in 0i64..100, lb in 1i64..50, open in any::<bool>()) {
            let t = |h: i64| at(2026, 1, 1, 0) + chrono::Duration::hours(h);
            let x = (t(a), Some(t(a + la)));
            let y = (t(b), if open { None } else { Some(t(b + lb)) });
            prop_assert_eq!(windows_overlap(x, y), windows_overlap(y, x));
            let shared = (a..a + la).any(|h| h >= b && (open || h < b + lb));
            prop_assert_eq!(windows_overlap(x, y), shared);
        }

        #[test]
        fn every_day_touched_is_counted_once(start in 0i64..10_000, hours in 0i64..500) {
            let from = at(2026, 1, 1, 0) + chrono::Duration::hours(start);
            let days = days_touched(from, from + chrono::Duration::hours(hours), chrono_tz::Asia::Shanghai);
            prop_assert!(days.windows(2).all(|w| w[1] == w[0].succ_opt().unwrap()));
            let n = days.len() as i64;
            // Half-open: a window of h hours touches at least ceil(h / 24) days (one for an empty window).
            prop_assert!(n >= ((hours + 23) / 24).max(1) && n <= hours / 24 + 2);
        }
    }
}
