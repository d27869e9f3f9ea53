//! Concentration statistics and their validity (GB 3095 表4, HJ 663): daily means from hourly values, the
//! O3 daily maximum 8-h moving mean, annual means and percentiles, and the ambient limits they are judged by.

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

use super::{Daily, Pollutant};

/// A daily mean needs at least 20 hourly values (GB 3095 表4).
pub const MIN_HOURS_PER_DAY: usize = 20;
/// An 8-h mean needs at least 6 hourly values (GB 3095 表4).
pub const MIN_HOURS_PER_8H: usize = 6;
/// The daily maximum 8-h mean needs 14 valid 8-h means among the 17 that lie within the day (HJ 663).
pub const MIN_8H_MEANS_PER_DAY: usize = 14;
/// An annual mean needs 324 daily values, and 27 in each month (25 in February) (GB 3095 表4).
pub const MIN_DAYS_PER_YEAR: usize = 324;

/// The mean of the present values, rounded to the reporting precision, when there are at least `min`.
pub fn mean(pollutant: Pollutant, values: impl IntoIterator<Item = Decimal>, min: usize) -> Option<Decimal> {
    let (sum, n) = values.into_iter().fold((Decimal::ZERO, 0usize), |(s, n), v| (s + v, n + 1));
    (n >= min && n > 0).then(|| pollutant.round_for_report(sum / Decimal::from(n)))
}

/// One station's hourly values for one pollutant on one local day, hour 0 (00:00–01:00) to 23.
pub type DayHours = [Option<Decimal>; 24];

/// The daily mean: valid with at least 20 hourly values.
pub fn daily_mean(pollutant: Pollutant, hours: &DayHours) -> Option<Decimal> {
    mean(pollutant, hours.iter().flatten().copied(), MIN_HOURS_PER_DAY)
}

/// The highest hourly value, under the same 20-hour rule as the daily mean.
pub fn daily_max_1h(hours: &DayHours) -> Option<Decimal> {
    let present: Vec<Decimal> = hours.iter().flatten().copied().collect();
    (present.len() >= MIN_HOURS_PER_DAY).then(|| present.into_iter().max()).flatten()
}

/// 日最大8小时平均: the highest of the day's 8-h moving means ending at 08:00 … 24:00 (the 17 windows within
/// the natural day), each valid with 6 hourly values, the maximum valid with 14 such means.
pub fn daily_max_8h(hours: &DayHours) -> Option<Decimal> {
    let means: Vec<Decimal> =
        hours.windows(8).filter_map(|w| mean(Pollutant::O3, w.iter().flatten().copied(), MIN_HOURS_PER_8H)).collect();
    (means.len() >= MIN_8H_MEANS_PER_DAY).then(|| means.into_iter().max()).flatten()
}

/// The 8-h moving mean ending with the last of `hours` (up to 8 values, oldest first).
pub fn moving_8h(hours: &[Option<Decimal>]) -> Option<Decimal> {
    mean(Pollutant::O3, hours.iter().rev().take(8).flatten().copied(), MIN_HOURS_PER_8H)
}

/// A station's (or area's) daily statistics from its hourly values.
pub fn daily_from_hours(hours: &dyn Fn(Pollutant) -> DayHours) -> Daily {
    let o3 = hours(Pollutant::O3);
    Daily {
        so2_24h: daily_mean(Pollutant::So2, &hours(Pollutant::So2)),
        no2_24h: daily_mean(Pollutant::No2, &hours(Pollutant::No2)),
        co_24h: daily_mean(Pollutant::Co, &hours(Pollutant::Co)),
        pm10_24h: daily_mean(Pollutant::Pm10, &hours(Pollutant::Pm10)),
        pm25_24h: daily_mean(Pollutant::Pm25, &hours(Pollutant::Pm25)),
        o3_8h_max: daily_max_8h(&o3),
        o3_1h_max: daily_max_1h(&o3),
    }
}

/// An area's day: each indicator is the mean over the stations that have it (HJ 663: the city value is the
/// mean of its assessment stations).
pub fn area_daily<'a>(stations: impl IntoIterator<Item = &'a Daily> + Clone) -> Daily {
    let avg =
        |p: Pollutant, pick: fn(&Daily) -> Option<Decimal>| mean(p, stations.clone().into_iter().filter_map(pick), 1);
    Daily {
        so2_24h: avg(Pollutant::So2, |d| d.so2_24h),
        no2_24h: avg(Pollutant::No2, |d| d.no2_24h),
        co_24h: avg(Pollutant::Co, |d| d.co_24h),
        pm10_24h: avg(Pollutant::Pm10, |d| d.pm10_24h),
        pm25_24h: avg(Pollutant::Pm25, |d| d.pm25_24h),
        o3_8h_max: avg(Pollutant::O3, |d| d.o3_8h_max),
        o3_1h_max: avg(Pollutant::O3, |d| d.o3_1h_max),
    }
}

/// The p-th percentile as HJ 663 computes it: sort ascending, k = 1 + (n − 1)·p/100, interpolate between
/// the s-th and (s+1)-th values where s is the integer part of k.
pub fn percentile(values: &mut [Decimal], p: u32) -> Option<Decimal> {
    if values.is_empty() {
        return None;
    }
    values.sort();
    let n = values.len();
    let k = Decimal::ONE + Decimal::from(n - 1) * Decimal::from(p) / Decimal::ONE_HUNDRED;
    let s = k.trunc();
    let i = usize::try_from(s.mantissa()).expect("a small index") - 1;
    let low = values[i];
    let high = values[(i + 1).min(n - 1)];
    Some(low + (high - low) * (k - s))
}

/// Whether daily values on these dates make a valid annual statistic: 324 in the year and 27 in each
/// month, 25 in February.
pub fn annual_valid(dates: &[NaiveDate]) -> bool {
    let mut per_month = [0usize; 12];
    for d in dates {
        per_month[d.month0() as usize] += 1;
    }
    dates.len() >= MIN_DAYS_PER_YEAR && per_month.iter().enumerate().all(|(m, &n)| n >= if m == 1 { 25 } else { 27 })
}

/// The ambient-air standard (Grade II limits) whose limits apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub enum AmbientStandard {
    #[serde(rename = "GB 3095-2012")]
    Gb3095_2012,
    /// Transitional limits, 2026-03-01 to 2030-12-31.
    #[serde(rename = "GB 3095-2026 transitional")]
    Gb3095_2026Transitional,
    /// Final limits from 2031-01-01.
    #[serde(rename = "GB 3095-2026")]
    Gb3095_2026,
}

/// A statistic judged against a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Statistic {
    AnnualMean,
    /// CO: the 95th percentile of daily means, against the daily limit.
    DailyMeanP95,
    /// O3: the 90th percentile of daily maximum 8-h means, against the 8-h limit.
    DailyMax8hP90,
}

impl AmbientStandard {
    /// The standard in force on a date.
    pub fn in_force_on(date: NaiveDate) -> Self {
        if date < super::Standard::HJ633_2026_FROM {
            Self::Gb3095_2012
        } else if date.year() <= 2030 {
            Self::Gb3095_2026Transitional
        } else {
            Self::Gb3095_2026
        }
    }

    /// The statistic a year's figure for `pollutant` is, and its Grade II limit (µg/m³; CO mg/m³).
    pub fn annual_limit(self, pollutant: Pollutant) -> (Statistic, Decimal) {
        use Pollutant::*;
        let (statistic, value) = match (self, pollutant) {
            (_, Co) => (Statistic::DailyMeanP95, 4),
            (_, O3) => (Statistic::DailyMax8hP90, 160),
            (Self::Gb3095_2012, So2) => (Statistic::AnnualMean, 60),
            (Self::Gb3095_2012, No2) => (Statistic::AnnualMean, 40),
            (Self::Gb3095_2012, Pm10) => (Statistic::AnnualMean, 70),
            (Self::Gb3095_2012, Pm25) => (Statistic::AnnualMean, 35),
            (Self::Gb3095_2026Transitional, So2) => (Statistic::AnnualMean, 60),
            (Self::Gb3095_2026Transitional, No2) => (Statistic::AnnualMean, 40),
            (Self::Gb3095_2026Transitional, Pm10) => (Statistic::AnnualMean, 60),
            (Self::Gb3095_2026Transitional, Pm25) => (Statistic::AnnualMean, 30),
            (Self::Gb3095_2026, So2) => (Statistic::AnnualMean, 20),
            (Self::Gb3095_2026, No2) => (Statistic::AnnualMean, 30),
            (Self::Gb3095_2026, Pm10) => (Statistic::AnnualMean, 50),
            (Self::Gb3095_2026, Pm25) => (Statistic::AnnualMean, 25),
        };
        (statistic, Decimal::from(value))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn d(v: i64) -> Decimal {
        Decimal::from(v)
    }

    fn hours(n: usize, value: i64) -> DayHours {
        std::array::from_fn(|h| (h < n).then(|| d(value)))
    }

    #[test]
    fn a_day_with_19_hours_has_no_daily_mean() {
        assert_eq!(daily_mean(Pollutant::Pm25, &hours(19, 40)), None);
        assert_eq!(daily_mean(Pollutant::Pm25, &hours(20, 40)), Some(d(40)));
        let mut h = hours(24, 10);
        h[0] = Some(d(11));
        assert_eq!(daily_mean(Pollutant::Pm25, &h), Some(d(10)), "10.04 rounds to 10");
        assert_eq!(daily_mean(Pollutant::Co, &hours(24, 1)), Some(d(1)));
    }

    #[test]
    fn means_round_half_to_even() {
        let mut h = hours(24, 10);
        for v in h.iter_mut().take(12) {
            *v = Some(d(11));
        }
        assert_eq!(daily_mean(Pollutant::No2, &h), Some(d(10)), "10.5 → 10");
        let co: DayHours = std::array::from_fn(|i| Some(if i < 12 { "0.3" } else { "0.4" }.parse().unwrap()));
        assert_eq!(daily_mean(Pollutant::Co, &co), Some("0.4".parse().unwrap()), "0.35 → 0.4");
    }

    #[test]
    fn o3_daily_max_8h_uses_the_windows_within_the_day() {
        let mut h = hours(24, 50);
        for v in &mut h[16..24] {
            *v = Some(d(200));
        }
        assert_eq!(daily_max_8h(&h), Some(d(200)));
        // 11 hours missing leaves fewer than 14 valid 8-h means.
        let sparse: DayHours = std::array::from_fn(|i| (i % 2 == 0 || i > 18).then(|| d(80)));
        assert_eq!(daily_max_8h(&sparse), None);
        assert_eq!(moving_8h(&[Some(d(10)); 5]), None, "5 hours are not an 8-h mean");
        assert_eq!(
            moving_8h(&[None, None, Some(d(6)), Some(d(6)), Some(d(6)), Some(d(6)), Some(d(6)), Some(d(12))]),
            Some(d(7))
        );
    }

    #[test]
    fn percentiles_interpolate_like_hj_663() {
        let mut v: Vec<Decimal> = (1..=10).map(d).collect();
        assert_eq!(percentile(&mut v, 90), Some("9.1".parse().unwrap()));
        assert_eq!(percentile(&mut v, 95), Some("9.55".parse().unwrap()));
        assert_eq!(percentile(&mut v, 100), Some(d(10)));
        assert_eq!(percentile(&mut [d(7)], 95), Some(d(7)));
        assert_eq!(percentile(&mut [], 95), None);
    }

    #[test]
    fn annual_validity_counts_the_months() {
        let days: Vec<NaiveDate> = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap().iter_days().take(365).collect();
        assert!(annual_valid(&days));
        let no_march: Vec<NaiveDate> = days.iter().copied().filter(|d| !(d.month() == 3 && d.day() <= 5)).collect();
        assert!(!annual_valid(&no_march), "26 March days");
        let short_feb: Vec<NaiveDate> = days.iter().copied().filter(|d| !(d.month() == 2 && d.day() <= 3)).collect();
        assert!(annual_valid(&short_feb), "25 February days are enough");
        assert!(!annual_valid(&days[..323]));
    }

    #[test]
    fn limits_by_date() {
        let on = |y, m, d| AmbientStandard::in_force_on(NaiveDate::from_ymd_opt(y, m, d).unwrap());
        assert_eq!(on(2025, 12, 31).annual_limit(Pollutant::Pm25).1, d(35));
        assert_eq!(on(2026, 12, 31).annual_limit(Pollutant::Pm25).1, d(30));
        assert_eq!(on(2031, 1, 1).annual_limit(Pollutant::Pm25).1, d(25));
        assert_eq!(on(2031, 1, 1).annual_limit(Pollutant::Co), (Statistic::DailyMeanP95, d(4)));
    }

    proptest! {
        #[test]
        fn percentiles_lie_within_the_values_and_grow_with_p(v in prop::collection::vec(0i64..1000, 1..60), p in 0u32..100) {
            let mut values: Vec<Decimal> = v.iter().copied().map(d).collect();
            let a = percentile(&mut values, p).unwrap();
            let b = percentile(&mut values, p + 1).unwrap();
            prop_assert!(a <= b);
            prop_assert!(values[0] <= a && b <= values[values.len() - 1]);
        }

        #[test]
        fn the_daily_mean_needs_twenty_hours(present in prop::collection::vec(any::<bool>(), 24), value in 0i64..500) {
            let h: DayHours = std::array::from_fn(|i| present[i].then(|| d(value)));
            let n = present.iter().filter(|p| **p).count();
            prop_assert_eq!(daily_mean(Pollutant::Pm10, &h).is_some(), n >= 20);
        }
    }
}
