//! The breakpoint tables (HJ 633-2012 表1, HJ 633-2026 表3) and the exact interpolation of 式1.

use rust_decimal::Decimal;

use super::{Index, Indicator, Standard};

/// IAQI at each breakpoint.
const IAQI: [i64; 8] = [0, 50, 100, 150, 200, 300, 400, 500];

// Concentrations at the IAQI breakpoints: µg/m³, CO mg/m³. Both versions share all but the PM columns.
const SO2_24H: [i64; 8] = [0, 50, 150, 475, 800, 1600, 2100, 2620];
const SO2_1H: [i64; 5] = [0, 150, 500, 650, 800];
const NO2_24H: [i64; 8] = [0, 40, 80, 180, 280, 565, 750, 940];
const NO2_1H: [i64; 8] = [0, 100, 200, 700, 1200, 2340, 3090, 3840];
const CO_24H: [i64; 8] = [0, 2, 4, 14, 24, 36, 48, 60];
const CO_1H: [i64; 8] = [0, 5, 10, 35, 60, 90, 120, 150];
const O3_1H: [i64; 8] = [0, 160, 200, 300, 400, 800, 1000, 1200];
const O3_8H: [i64; 6] = [0, 100, 160, 215, 265, 800];
const PM10_2012: [i64; 8] = [0, 50, 150, 250, 350, 420, 500, 600];
const PM25_2012: [i64; 8] = [0, 35, 75, 115, 150, 250, 350, 500];
const PM10_2026: [i64; 8] = [0, 50, 120, 250, 350, 420, 500, 600];
const PM25_2026: [i64; 8] = [0, 35, 60, 115, 150, 250, 350, 500];

/// The breakpoints of `indicator` under `standard`; `None` where the standard gives none.
pub(super) fn table(standard: Standard, indicator: Indicator) -> Option<&'static [i64]> {
    use Indicator::*;
    use Standard::*;
    Some(match (standard, indicator) {
        (_, So2_24h) => &SO2_24H,
        (_, So2_1h) => &SO2_1H,
        (_, No2_24h) => &NO2_24H,
        (_, No2_1h) => &NO2_1H,
        (_, Co24h) => &CO_24H,
        (_, Co1h) => &CO_1H,
        (_, O3_1h) => &O3_1H,
        (_, O3_8h) => &O3_8H,
        (Hj633_2012, Pm10_24h) => &PM10_2012,
        (Hj633_2012, Pm25_24h) => &PM25_2012,
        // 2012: the real-time PM 1-h means have no breakpoints of their own.
        (Hj633_2012, Pm10_1h | Pm25_1h) => return None,
        // 2026: PM 1-h means use the daily-mean breakpoints (式1 notes).
        (Hj633_2026, Pm10_24h | Pm10_1h) => &PM10_2026,
        (Hj633_2026, Pm25_24h | Pm25_1h) => &PM25_2026,
    })
}

/// The special rules for SO2 1-h and O3 8-h means above 800 µg/m³: HJ 633-2012 computes no IAQI from them
/// (the report falls back to SO2 24-h or O3 1-h), HJ 633-2026 fixes them at 200 and 300.
pub(super) fn above_800(standard: Standard, indicator: Indicator, c: Decimal) -> Option<Option<Index>> {
    let fixed = match indicator {
        Indicator::So2_1h => 200,
        Indicator::O3_8h => 300,
        _ => return None,
    };
    (c > Decimal::from(800)).then_some(match standard {
        Standard::Hj633_2012 => None,
        Standard::Hj633_2026 => Some(fixed),
    })
}

/// 式1 with the result rounded up: `IAQI_lo + ceil((IAQI_hi − IAQI_lo)·(C − BP_lo) / (BP_hi − BP_lo))`,
/// on integers so that no rounding happens before the ceiling. Above the top breakpoint: 500.
pub(super) fn interpolate(table: &[i64], c: Decimal) -> Index {
    let Some(hi) = table.iter().position(|&bp| c <= Decimal::from(bp)) else {
        return 500;
    };
    if hi == 0 {
        return 0;
    }
    let (bp_lo, bp_hi, i_lo, i_hi) = (table[hi - 1], table[hi], IAQI[hi - 1], IAQI[hi]);
    // c = mantissa / 10^scale, exactly.
    let offset = c - Decimal::from(bp_lo);
    let scale = 10i128.pow(offset.scale());
    let numerator = i128::from(i_hi - i_lo) * offset.mantissa();
    let denominator = i128::from(bp_hi - bp_lo) * scale;
    let rise = (numerator + denominator - 1).div_euclid(denominator);
    Index::try_from(i128::from(i_lo) + rise).expect("an index between 0 and 500")
}
