//! The daily report (日报) and the real-time report (实时报): which indicators count under each standard,
//! the fall-backs above 800 µg/m³, the primary pollutants and what a missing indicator does (HJ 633-2026
//! §5.3: the AQI is published from the others only when it is above 100, otherwise it is `NA`).

use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

use super::{Category, Index, Indicator, Standard, iaqi};

/// A day's statistics for one station or area (concentrations already valid by GB 3095 表4; `None`: missing).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Daily {
    pub so2_24h: Option<Decimal>,
    pub no2_24h: Option<Decimal>,
    pub co_24h: Option<Decimal>,
    pub pm10_24h: Option<Decimal>,
    pub pm25_24h: Option<Decimal>,
    /// 日最大8小时平均.
    pub o3_8h_max: Option<Decimal>,
    /// Daily maximum 1-h mean: one of the seven indicators under HJ 633-2012 only.
    pub o3_1h_max: Option<Decimal>,
}

/// An hour's values for the real-time report.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Hourly {
    pub so2_1h: Option<Decimal>,
    pub no2_1h: Option<Decimal>,
    pub co_1h: Option<Decimal>,
    pub o3_1h: Option<Decimal>,
    pub pm10_1h: Option<Decimal>,
    pub pm25_1h: Option<Decimal>,
    /// 8-h moving mean ending with this hour (HJ 633-2012 only).
    pub o3_8h: Option<Decimal>,
    /// 24-h moving means ending with this hour (HJ 633-2012 only; SO2 is its fall-back above 800 µg/m³).
    pub so2_24h: Option<Decimal>,
    pub pm10_24h: Option<Decimal>,
    pub pm25_24h: Option<Decimal>,
}

/// One indicator's sub-index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SubIndex {
    pub indicator: Indicator,
    /// The concentration the sub-index comes from, as a decimal string (µg/m³; CO mg/m³).
    #[schema(value_type = String, example = "36")]
    #[serde(serialize_with = "as_text")]
    pub concentration: Decimal,
    /// IAQI, rounded up; `None` where the standard computes none from this value.
    pub iaqi: Option<Index>,
}

/// A computed AQI with its category and primary pollutants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AqiReport {
    pub standard: Standard,
    pub sub_indices: Vec<SubIndex>,
    /// `None` = `NA`: indicators are missing and the others give 100 or less.
    pub aqi: Option<Index>,
    /// Indicators the report needs but lacks.
    pub missing: Vec<Indicator>,
    /// 首要污染物: the indicators with the highest IAQI when the AQI is above 50, ties all listed.
    pub primary: Vec<Indicator>,
}

impl AqiReport {
    pub fn category(&self) -> Option<Category> {
        self.aqi.map(Category::of)
    }
}

pub(crate) fn as_text<S: serde::Serializer>(value: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&value.normalize())
}

impl Daily {
    /// The daily AQI: seven indicators under HJ 633-2012, six under HJ 633-2026 (no O3 1-h).
    pub fn report(&self, standard: Standard) -> AqiReport {
        use Indicator::*;
        let mut inputs = vec![
            (So2_24h, self.so2_24h),
            (No2_24h, self.no2_24h),
            (Co24h, self.co_24h),
            (Pm10_24h, self.pm10_24h),
            (Pm25_24h, self.pm25_24h),
            (O3_8h, self.o3_8h_max),
        ];
        if standard == Standard::Hj633_2012 {
            // Above 800 µg/m³ the 8-h value gives no IAQI; the 1-h maximum, already listed, stands for O3.
            inputs.push((O3_1h, self.o3_1h_max));
        }
        compose(standard, &inputs)
    }
}

impl Hourly {
    /// The real-time AQI: HJ 633-2012 from SO2/NO2/CO/O3 1-h, O3 8-h and PM 24-h moving means (SO2 1-h above
    /// 800 µg/m³ falls back to SO2 24-h); HJ 633-2026 from the six 1-h means.
    pub fn report(&self, standard: Standard) -> AqiReport {
        use Indicator::*;
        match standard {
            Standard::Hj633_2012 => {
                let so2_fallback = self.so2_1h.is_some() && iaqi(standard, So2_1h, self.so2_1h.unwrap()).is_none();
                let so2 = if so2_fallback { (So2_24h, self.so2_24h) } else { (So2_1h, self.so2_1h) };
                compose(
                    standard,
                    &[
                        so2,
                        (No2_1h, self.no2_1h),
                        (Co1h, self.co_1h),
                        (O3_1h, self.o3_1h),
                        (O3_8h, self.o3_8h),
                        (Pm10_24h, self.pm10_24h),
                        (Pm25_24h, self.pm25_24h),
                    ],
                )
            }
            Standard::Hj633_2026 => compose(
                standard,
                &[
                    (So2_1h, self.so2_1h),
                    (No2_1h, self.no2_1h),
                    (Co1h, self.co_1h),
                    (O3_1h, self.o3_1h),
                    (Pm10_1h, self.pm10_1h),
                    (Pm25_1h, self.pm25_1h),
                ],
            ),
        }
    }
}

fn compose(standard: Standard, inputs: &[(Indicator, Option<Decimal>)]) -> AqiReport {
    let mut missing = Vec::new();
    let mut sub_indices = Vec::new();
    for &(indicator, value) in inputs {
        match value {
            None => missing.push(indicator),
            Some(c) => sub_indices.push(SubIndex {
                indicator,
                concentration: standard.index_concentration(indicator.pollutant(), c),
                iaqi: iaqi(standard, indicator, c),
            }),
        }
    }
    let highest = sub_indices.iter().filter_map(|s| s.iaqi).max();
    // HJ 633-2026 §4.1.1: the index ranges from 1 to 500.
    let floor = if standard == Standard::Hj633_2026 { 1 } else { 0 };
    let aqi = highest.map(|a| a.max(floor)).filter(|&a| missing.is_empty() || a > 100);
    let primary = match aqi {
        Some(a) if a > 50 => sub_indices.iter().filter(|s| s.iaqi == Some(a)).map(|s| s.indicator).collect(),
        _ => Vec::new(),
    };
    AqiReport { standard, sub_indices, aqi, missing, primary }
}
