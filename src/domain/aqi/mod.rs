//! The air-quality index (AQI) as the national technical rules define it, versioned by date:
//! HJ 633-2012 for data before 2026-03-01, HJ 633-2026 from that day.
//!
//! Everything is exact: concentrations are decimals, and the ceiling of the interpolation (式1) is taken
//! on integers, because binary floating point gives wrong integers (CO 2.2 mg/m³ is IAQI 55, not 56).

mod breakpoints;
mod report;
pub mod stats;

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;
use utoipa::ToSchema;

pub use report::{AqiReport, Daily, Hourly, SubIndex};

/// The technical rule that applies to a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
pub enum Standard {
    #[serde(rename = "HJ 633-2012")]
    Hj633_2012,
    #[serde(rename = "HJ 633-2026")]
    Hj633_2026,
}

impl Standard {
    /// HJ 633-2026 replaces HJ 633-2012 from this day.
    pub const HJ633_2026_FROM: NaiveDate = NaiveDate::from_ymd_opt(2026, 3, 1).expect("a date");

    /// The standard in force on a (city-local) date.
    pub fn in_force_on(date: NaiveDate) -> Self {
        if date < Self::HJ633_2026_FROM { Self::Hj633_2012 } else { Self::Hj633_2026 }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hj633_2012 => "HJ 633-2012",
            Self::Hj633_2026 => "HJ 633-2026",
        }
    }

    /// The concentration the index is computed from. HJ 633-2026 §4.2.2 rounds it first (GB/T 8170,
    /// half to even): µg/m³ to integers, CO mg/m³ to one decimal. HJ 633-2012 says nothing: the value is used
    /// as given.
    pub fn index_concentration(self, pollutant: Pollutant, c: Decimal) -> Decimal {
        match self {
            Self::Hj633_2012 => c,
            Self::Hj633_2026 => pollutant.round_for_report(c),
        }
    }
}

/// The six basic pollutants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Pollutant {
    So2,
    No2,
    Co,
    O3,
    Pm10,
    #[serde(rename = "pm2_5")]
    Pm25,
}

impl Pollutant {
    pub const ALL: [Pollutant; 6] = [Self::So2, Self::No2, Self::Co, Self::O3, Self::Pm10, Self::Pm25];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::So2 => "so2",
            Self::No2 => "no2",
            Self::Co => "co",
            Self::O3 => "o3",
            Self::Pm10 => "pm10",
            Self::Pm25 => "pm2_5",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim().to_ascii_lowercase().replace(['.', '_', '-'], "");
        Self::ALL.into_iter().find(|p| p.as_str().replace('_', "") == raw)
    }

    /// mg/m³ for CO, µg/m³ for the others.
    pub fn unit(self) -> &'static str {
        if self == Self::Co { "mg/m³" } else { "µg/m³" }
    }

    /// Decimals of a reported concentration: one for CO (mg/m³), none for the others (µg/m³).
    pub fn report_decimals(self) -> u32 {
        if self == Self::Co { 1 } else { 0 }
    }

    /// Rounded to the reporting precision, half to even (GB/T 8170 "四舍六入五成双").
    pub fn round_for_report(self, c: Decimal) -> Decimal {
        c.round_dp_with_strategy(self.report_decimals(), RoundingStrategy::MidpointNearestEven).normalize()
    }
}

/// One quantity an IAQI is computed from: a pollutant over an averaging period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Indicator {
    So2_24h,
    So2_1h,
    No2_24h,
    No2_1h,
    Co24h,
    Co1h,
    O3_1h,
    O3_8h,
    Pm10_24h,
    Pm10_1h,
    #[serde(rename = "pm2_5_24h")]
    Pm25_24h,
    #[serde(rename = "pm2_5_1h")]
    Pm25_1h,
}

impl Indicator {
    pub fn pollutant(self) -> Pollutant {
        match self {
            Self::So2_24h | Self::So2_1h => Pollutant::So2,
            Self::No2_24h | Self::No2_1h => Pollutant::No2,
            Self::Co24h | Self::Co1h => Pollutant::Co,
            Self::O3_1h | Self::O3_8h => Pollutant::O3,
            Self::Pm10_24h | Self::Pm10_1h => Pollutant::Pm10,
            Self::Pm25_24h | Self::Pm25_1h => Pollutant::Pm25,
        }
    }
}

/// An IAQI or AQI value: a whole number, rounded up as HJ 633 requires.
pub type Index = u32;

/// The sub-index (IAQI) of one indicator under `standard`, with the standard's special rules above
/// 800 µg/m³ left to the report (they refer to other indicators). `None` when the standard has no
/// breakpoints for the indicator (PM 1-h means under HJ 633-2012) or the value is above the 800 µg/m³
/// limit of SO2 1-h or O3 8-h under HJ 633-2012. Above the table's top the index is 500, the scale's top.
pub fn iaqi(standard: Standard, indicator: Indicator, concentration: Decimal) -> Option<Index> {
    let c = standard.index_concentration(indicator.pollutant(), concentration.max(Decimal::ZERO));
    if let Some(capped) = breakpoints::above_800(standard, indicator, c) {
        return capped;
    }
    let table = breakpoints::table(standard, indicator)?;
    Some(breakpoints::interpolate(table, c))
}

/// 级别: the six AQI categories of HJ 633 表2 (the same in both versions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = AqiCategory)]
pub enum Category {
    /// 一级 优 (green)
    Excellent,
    /// 二级 良 (yellow)
    Good,
    /// 三级 轻度污染 (orange)
    LightlyPolluted,
    /// 四级 中度污染 (red)
    ModeratelyPolluted,
    /// 五级 重度污染 (purple)
    HeavilyPolluted,
    /// 六级 严重污染 (maroon)
    SeverelyPolluted,
}

impl Category {
    pub const ALL: [Category; 6] = [
        Self::Excellent,
        Self::Good,
        Self::LightlyPolluted,
        Self::ModeratelyPolluted,
        Self::HeavilyPolluted,
        Self::SeverelyPolluted,
    ];

    pub fn of(aqi: Index) -> Self {
        match aqi {
            0..=50 => Self::Excellent,
            51..=100 => Self::Good,
            101..=150 => Self::LightlyPolluted,
            151..=200 => Self::ModeratelyPolluted,
            201..=300 => Self::HeavilyPolluted,
            _ => Self::SeverelyPolluted,
        }
    }

    /// 1 (一级) to 6 (六级).
    pub fn level(self) -> u8 {
        self as u8 + 1
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Excellent => "excellent",
            Self::Good => "good",
            Self::LightlyPolluted => "lightly_polluted",
            Self::ModeratelyPolluted => "moderately_polluted",
            Self::HeavilyPolluted => "heavily_polluted",
            Self::SeverelyPolluted => "severely_polluted",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == raw)
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Self::Excellent => "优",
            Self::Good => "良",
            Self::LightlyPolluted => "轻度污染",
            Self::ModeratelyPolluted => "中度污染",
            Self::HeavilyPolluted => "重度污染",
            Self::SeverelyPolluted => "严重污染",
        }
    }

    /// The standard's colour (附录A RGB) as hex.
    pub fn colour(self) -> &'static str {
        match self {
            Self::Excellent => "#00E400",
            Self::Good => "#FFFF00",
            Self::LightlyPolluted => "#FF7E00",
            Self::ModeratelyPolluted => "#FF0000",
            Self::HeavilyPolluted => "#99004C",
            Self::SeverelyPolluted => "#7E0023",
        }
    }

    /// 优良天: a day whose AQI is at most 100.
    pub fn is_good_day(self) -> bool {
        self <= Self::Good
    }
}

#[cfg(test)]
mod tests;
