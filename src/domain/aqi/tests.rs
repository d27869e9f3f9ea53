use proptest::prelude::*;
use rust_decimal::Decimal;

use super::*;

fn d(raw: &str) -> Decimal {
    raw.parse().unwrap()
}

const BOTH: [Standard; 2] = [Standard::Hj633_2012, Standard::Hj633_2026];

#[test]
fn reference_vectors_under_both_standards() {
    use Indicator::*;
    // domain reference §1.4: (indicator, concentration, IAQI under 2012, IAQI under 2026)
    let vectors = [
        (Pm25_24h, "35", 50, 50),
        (Pm25_24h, "36", 52, 52),
        (Pm25_24h, "50", 69, 80),
        (Pm25_24h, "60", 82, 100),
        (Pm25_24h, "61", 83, 101),
        (Pm25_24h, "75", 100, 114),
        (Pm25_24h, "76", 102, 115),
        (Pm25_24h, "115", 150, 150),
        (Pm25_24h, "151", 201, 201),
        (Pm10_24h, "120", 85, 100),
        (Pm10_24h, "150", 100, 112),
        (Co24h, "2.2", 55, 55),
    ];
    for (indicator, c, old, new) in vectors {
        assert_eq!(iaqi(Standard::Hj633_2012, indicator, d(c)), Some(old), "{indicator:?} {c} under 2012");
        assert_eq!(iaqi(Standard::Hj633_2026, indicator, d(c)), Some(new), "{indicator:?} {c} under 2026");
    }
}

#[test]
fn floats_would_get_these_wrong() {
    // §1.5: f64 gives 56 and 219.
    assert_eq!(iaqi(Standard::Hj633_2026, Indicator::Co24h, d("2.2")), Some(55));
    assert_eq!(iaqi(Standard::Hj633_2026, Indicator::Co1h, d("65.4")), Some(218));
    let naive = |c: f64| (50.0 / 2.0 * (c - 2.0) + 50.0f64).ceil();
    assert_eq!(naive(2.2), 56.0, "the pitfall is real on this machine");
}

#[test]
fn the_2026_standard_rounds_concentrations_half_to_even_first() {
    let s = Standard::Hj633_2026;
    assert_eq!(iaqi(s, Indicator::Pm25_24h, d("35.5")), Some(52), "36 after rounding");
    assert_eq!(iaqi(s, Indicator::Pm25_24h, d("34.5")), Some(49), "34 after rounding: half to even");
    assert_eq!(iaqi(s, Indicator::Co24h, d("2.25")), Some(55), "2.2 after rounding");
    assert_eq!(iaqi(s, Indicator::Co24h, d("2.35")), Some(60), "2.4 after rounding");
    // 2012 uses the value as given.
    assert_eq!(iaqi(Standard::Hj633_2012, Indicator::Pm25_24h, d("35.5")), Some(51));
}

#[test]
fn special_rules_above_800() {
    use Indicator::*;
    assert_eq!(iaqi(Standard::Hj633_2026, So2_1h, d("801")), Some(200));
    assert_eq!(iaqi(Standard::Hj633_2026, O3_8h, d("801")), Some(300));
    assert_eq!(iaqi(Standard::Hj633_2012, So2_1h, d("801")), None);
    assert_eq!(iaqi(Standard::Hj633_2012, O3_8h, d("801")), None);
    assert_eq!(iaqi(Standard::Hj633_2012, So2_1h, d("800")), Some(200));
    // 2012 real-time: SO2 falls back to the 24-h mean.
    let hour = Hourly {
        so2_1h: Some(d("900")),
        so2_24h: Some(d("475")),
        no2_1h: Some(d("10")),
        co_1h: Some(d("1")),
        o3_1h: Some(d("10")),
        o3_8h: Some(d("10")),
        pm10_24h: Some(d("10")),
        pm25_24h: Some(d("10")),
        ..Hourly::default()
    };
    let r = hour.report(Standard::Hj633_2012);
    assert_eq!((r.aqi, r.primary.clone()), (Some(150), vec![So2_24h]));
    // 2012 daily: O3 8-h above 800 gives way to the 1-h maximum.
    let day = Daily {
        so2_24h: Some(d("5")),
        no2_24h: Some(d("5")),
        co_24h: Some(d("0.5")),
        pm10_24h: Some(d("20")),
        pm25_24h: Some(d("10")),
        o3_8h_max: Some(d("850")),
        o3_1h_max: Some(d("900")),
    };
    let r = day.report(Standard::Hj633_2012);
    assert_eq!((r.aqi, r.primary.clone()), (Some(350), vec![O3_1h]));
    let r = day.report(Standard::Hj633_2026);
    assert_eq!((r.aqi, r.primary), (Some(300), vec![O3_8h]));
}

#[test]
fn above_the_table_the_index_is_500_and_pm_hours_have_no_2012_breakpoints() {
    assert_eq!(iaqi(Standard::Hj633_2026, Indicator::Pm25_24h, d("700")), Some(500));
    assert_eq!(iaqi(Standard::Hj633_2012, Indicator::Pm25_1h, d("70")), None);
    assert_eq!(iaqi(Standard::Hj633_2026, Indicator::Pm25_1h, d("61")), Some(101));
}

fn clean_day() -> Daily {
    Daily {
        so2_24h: Some(d("8")),
        no2_24h: Some(d("30")),
        co_24h: Some(d("0.8")),
        pm10_24h: Some(d("70")),
        pm25_24h: Some(d("50")),
        o3_8h_max: Some(d("90")),
        o3_1h_max: Some(d("120")),
    }
}

#[test]
fn one_day_on_each_side_of_2026_03_01() {
    let day = clean_day();
    let before = chrono::NaiveDate::from_ymd_opt(2026, 2, 28).unwrap();
    let after = chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
    assert_eq!(Standard::in_force_on(before), Standard::Hj633_2012);
    assert_eq!(Standard::in_force_on(after), Standard::Hj633_2026);
    let old = day.report(Standard::in_force_on(before));
    let new = day.report(Standard::in_force_on(after));
    assert_eq!((old.aqi, old.category()), (Some(69), Some(Category::Good)));
    assert_eq!((new.aqi, new.category()), (Some(80), Some(Category::Good)));
    assert_eq!(old.sub_indices.len(), 7, "seven indicators in 2012");
    assert_eq!(new.sub_indices.len(), 6, "six in 2026: no O3 1-h");
    assert_eq!(new.primary, vec![Indicator::Pm25_24h]);
}

#[test]
fn ties_list_every_primary_pollutant_and_none_at_50_or_below() {
    let mut day = clean_day();
    day.pm10_24h = Some(d("120")); // 2026: 100
    day.pm25_24h = Some(d("60")); // 2026: 100
    let r = day.report(Standard::Hj633_2026);
    assert_eq!(r.aqi, Some(100));
    assert_eq!(r.primary, vec![Indicator::Pm10_24h, Indicator::Pm25_24h]);
    let calm = Daily { pm10_24h: Some(d("20")), pm25_24h: Some(d("10")), ..clean_day() };
    let r = Daily { o3_8h_max: Some(d("50")), ..calm }.report(Standard::Hj633_2026);
    assert!(r.aqi.unwrap() <= 50 && r.primary.is_empty());
}

#[test]
fn missing_pollutants_give_na_unless_the_others_exceed_100() {
    let mut day = clean_day();
    day.co_24h = None;
    let r = day.report(Standard::Hj633_2026);
    assert_eq!(r.aqi, None, "NA: the others give 80");
    assert_eq!(r.missing, vec![Indicator::Co24h]);
    assert_eq!(r.sub_indices.len(), 5, "the single-pollutant IAQIs are still there");
    day.pm25_24h = Some(d("80"));
    let r = day.report(Standard::Hj633_2026);
    assert_eq!((r.aqi, r.category()), (Some(119), Some(Category::LightlyPolluted)));
    assert_eq!(Daily::default().report(Standard::Hj633_2012).aqi, None);
}

#[test]
fn the_2026_index_starts_at_1() {
    let zero = Some(Decimal::ZERO);
    let day = Daily {
        so2_24h: zero,
        no2_24h: zero,
        co_24h: zero,
        pm10_24h: zero,
        pm25_24h: zero,
        o3_8h_max: zero,
        o3_1h_max: zero,
    };
    assert_eq!(day.report(Standard::Hj633_2026).aqi, Some(1));
    assert_eq!(day.report(Standard::Hj633_2012).aqi, Some(0));
}

#[test]
fn categories_at_their_boundaries() {
    let cases =
        [(0, 1), (50, 1), (51, 2), (100, 2), (101, 3), (150, 3), (151, 4), (200, 4), (201, 5), (300, 5), (301, 6)];
    for (aqi, level) in cases {
        assert_eq!(Category::of(aqi).level(), level, "{aqi}");
    }
    assert!(Category::of(100).is_good_day() && !Category::of(101).is_good_day());
    assert_eq!(Category::of(101).name_zh(), "轻度污染");
    assert_eq!(Category::of(400).colour(), "#7E0023");
}

const INDICATORS: [Indicator; 12] = [
    Indicator::So2_24h,
    Indicator::So2_1h,
    Indicator::No2_24h,
    Indicator::No2_1h,
    Indicator::Co24h,
    Indicator::Co1h,
    Indicator::O3_1h,
    Indicator::O3_8h,
    Indicator::Pm10_24h,
    Indicator::Pm10_1h,
    Indicator::Pm25_24h,
    Indicator::Pm25_1h,
];

fn concentration() -> impl Strategy<Value = Decimal> {
    (0i64..40_000, 0u32..3).prop_map(|(m, scale)| Decimal::new(m, scale))
}

/// The exact answer, from rationals: the smallest integer n with n·(BP_hi−BP_lo) ≥ … (no division at all).
fn brute_force(table: &[i64], c: Decimal) -> u32 {
    const IAQI: [i64; 8] = [0, 50, 100, 150, 200, 300, 400, 500];
    let Some(hi) = table.iter().position(|&bp| c <= Decimal::from(bp)) else { return 500 };
    if hi == 0 {
        return 0;
    }
    let (lo_bp, hi_bp) = (Decimal::from(table[hi - 1]), Decimal::from(table[hi]));
    let (lo_i, hi_i) = (IAQI[hi - 1], IAQI[hi]);
    (lo_i..=hi_i)
        .find(|&n| Decimal::from(n - lo_i) * (hi_bp - lo_bp) >= Decimal::from(hi_i - lo_i) * (c - lo_bp))
        .unwrap() as u32
}

proptest! {
    #[test]
    fn iaqi_is_monotone_in_every_concentration(a in concentration(), b in concentration(), i in 0usize..12) {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        for standard in BOTH {
            let indicator = INDICATORS[i];
            if let (Some(x), Some(y)) = (iaqi(standard, indicator, lo), iaqi(standard, indicator, hi)) {
                prop_assert!(x <= y, "{standard:?} {indicator:?}: {lo} → {x}, {hi} → {y}");
            }
        }
    }

    #[test]
    fn iaqi_is_the_exact_ceiling(c in concentration(), i in 0usize..12) {
        for standard in BOTH {
            let indicator = INDICATORS[i];
            let rounded = standard.index_concentration(indicator.pollutant(), c);
            if let (Some(table), None) = (breakpoints::table(standard, indicator), breakpoints::above_800(standard, indicator, rounded)) {
                prop_assert_eq!(iaqi(standard, indicator, c), Some(brute_force(table, rounded)));
            }
        }
    }

    #[test]
    fn daily_aqi_is_monotone_and_its_category_matches(base in prop::collection::vec(concentration(), 7), bump in concentration(), which in 0usize..7) {
        let day = |v: &[Decimal]| Daily {
            so2_24h: Some(v[0]), no2_24h: Some(v[1]), co_24h: Some(v[2] / Decimal::from(100)),
            pm10_24h: Some(v[3]), pm25_24h: Some(v[4]), o3_8h_max: Some(v[5].min(Decimal::from(800))), o3_1h_max: Some(v[6]),
        };
        let mut raised = base.clone();
        raised[which] += bump;
        for standard in BOTH {
            let (a, b) = (day(&base).report(standard), day(&raised).report(standard));
            prop_assert!(a.aqi.unwrap() <= b.aqi.unwrap());
            let aqi = a.aqi.unwrap();
            prop_assert_eq!(a.category(), Some(Category::of(aqi)));
            prop_assert_eq!(a.primary.is_empty(), aqi <= 50);
            prop_assert!(a.primary.iter().all(|p| a.sub_indices.iter().any(|s| s.indicator == *p && s.iaqi == Some(aqi))));
        }
    }
}
