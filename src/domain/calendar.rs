//! China's working-day calendar and incident deadlines: "within 3 working days" counts the State Council's
//! holiday arrangement (days off and weekend days moved to work), not plain Monday–Friday.
//!
//! The 2024–2026 arrangement is embedded; a deployment may load later years from a file of the same format
//! and merge it over the embedded one.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveTime, Offset, TimeDelta, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The embedded arrangement, a byte copy of the shared data file.
const CHINA_JSON: &str = include_str!("china_workdays.json");

/// Which days are working days: Monday–Friday, minus public holidays and bridge days, plus the weekend days
/// moved to work (调休), from the State Council's yearly arrangement. Outside the years it knows, plain Monday–Friday.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkCalendar {
    days_off: BTreeSet<NaiveDate>,
    working_weekends: BTreeSet<NaiveDate>,
    years: BTreeSet<i32>,
}

/// The file format: `years.{YYYY}.days_off` and `years.{YYYY}.working_weekends`; other top-level keys
/// (`source`, `meaning`) are documentation.
#[derive(Deserialize)]
struct CalendarFile {
    years: BTreeMap<String, YearFile>,
}

// Unknown keys in a year are refused so that a misspelt list is an error, not a year without holidays.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YearFile {
    days_off: Vec<NaiveDate>,
    working_weekends: Vec<NaiveDate>,
}

fn is_weekend(day: NaiveDate) -> bool {
    matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
}

impl WorkCalendar {
    /// The State Council's arrangement for 2024–2026, embedded in the binary.
    pub fn china() -> Self {
        Self::from_json(CHINA_JSON).expect("the embedded calendar is valid (tested)")
    }

    /// Parses a calendar file (the embedded file's format), checking that days off are weekdays, working
    /// weekends are Saturdays or Sundays, and every date lies in its year.
    pub fn from_json(text: &str) -> Result<Self, String> {
        let file: CalendarFile = serde_json::from_str(text).map_err(|e| format!("calendar file: {e}"))?;
        let mut calendar =
            Self { days_off: BTreeSet::new(), working_weekends: BTreeSet::new(), years: BTreeSet::new() };
        for (key, year) in file.years {
            let number: i32 = key.parse().map_err(|_| format!("calendar year key {key:?} is not a year"))?;
            for (list, dates, want_weekend) in
                [("days_off", &year.days_off, false), ("working_weekends", &year.working_weekends, true)]
            {
                for &day in dates {
                    if day.year() != number {
                        return Err(format!("{day} in {list} of {number} lies outside that year"));
                    }
                    if is_weekend(day) != want_weekend {
                        let want = if want_weekend { "a Saturday or Sunday" } else { "a weekday" };
                        return Err(format!("{day} in {list} of {number} is a {}, not {want}", day.weekday()));
                    }
                }
            }
            calendar.days_off.extend(year.days_off);
            calendar.working_weekends.extend(year.working_weekends);
            calendar.years.insert(number);
        }
        Ok(calendar)
    }

    /// This calendar with every year that `other` defines replaced by `other`'s arrangement for it.
    pub fn merged(mut self, other: WorkCalendar) -> Self {
        let replaced = |day: &NaiveDate| other.years.contains(&day.year());
        self.days_off.retain(|day| !replaced(day));
        self.working_weekends.retain(|day| !replaced(day));
        self.days_off.extend(&other.days_off);
        self.working_weekends.extend(&other.working_weekends);
        self.years.extend(&other.years);
        self
    }

    /// True when `day` is a working day.
    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        if is_weekend(day) { self.working_weekends.contains(&day) } else { !self.days_off.contains(&day) }
    }

    /// True when the calendar has the arrangement for `year` (otherwise that year is plain Monday–Friday).
    pub fn knows_year(&self, year: i32) -> bool {
        self.years.contains(&year)
    }

    /// The years with an arrangement, ascending.
    pub fn years(&self) -> Vec<i32> {
        self.years.iter().copied().collect()
    }

    /// The `n`-th working day after `day` (not counting `day` itself); n = 0 gives `day`. Saturates at the
    /// last representable date.
    pub fn add_working_days(&self, day: NaiveDate, n: u32) -> NaiveDate {
        let (mut day, mut left) = (day, n);
        while left > 0 {
            // Keep at least one working day to step to, so the answer is a working day, not a weekend.
            let weeks = self.plain_weeks(day, (left - 1) / 5);
            let step = if weeks > 0 { Days::new(7 * u64::from(weeks)) } else { Days::new(1) };
            let Some(next) = day.checked_add_days(step) else { return NaiveDate::MAX };
            day = next;
            if weeks > 0 {
                left -= 5 * weeks;
            } else if self.is_working_day(day) {
                left -= 1;
            }
        }
        day
    }

    /// Working days in the half-open local-day range [from, to).
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> u32 {
        let (mut day, mut count) = (from, 0u32);
        while day < to {
            let remaining = u32::try_from((to - day).num_days() / 7).unwrap_or(u32::MAX);
            let weeks = self.plain_weeks(day, remaining);
            if weeks > 0 {
                count += 5 * weeks;
                day = day.checked_add_days(Days::new(7 * u64::from(weeks))).unwrap_or(to);
                continue;
            }
            count += u32::from(self.is_working_day(day));
            let Some(next) = day.succ_opt() else { break };
            day = next;
        }
        count
    }

    /// How many whole weeks (at most `cap`) after `day` lie before any year with an arrangement: in them
    /// every 7 days hold exactly 5 working days, so long spans need not be walked day by day.
    fn plain_weeks(&self, day: NaiveDate, cap: u32) -> u32 {
        let next_known = self.years.range(day.year()..).next().and_then(|&year| NaiveDate::from_ymd_opt(year, 1, 1));
        match next_known {
            None => cap,
            Some(start) => u32::try_from(((start - day).num_days() - 1).max(0) / 7).unwrap_or(u32::MAX).min(cap),
        }
    }
}

/// A span of time for deadlines: hours on the clock, or working days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SpanUnit {
    /// Clock hours, weekends and holidays included.
    Hours,
    /// Working days by the calendar, each ending at local midnight.
    WorkingDays,
}

/// How long something may take: an amount of hours or working days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"amount": 3, "unit": "working_days"}))]
pub struct Span {
    /// How many units.
    pub amount: u32,
    /// Hours or working days.
    pub unit: SpanUnit,
}

impl Span {
    /// `n` clock hours.
    pub fn hours(n: u32) -> Self {
        Self { amount: n, unit: SpanUnit::Hours }
    }

    /// `n` working days.
    pub fn working_days(n: u32) -> Self {
        Self { amount: n, unit: SpanUnit::WorkingDays }
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.unit, self.amount) {
            (SpanUnit::Hours, n) => write!(f, "{n} h"),
            (SpanUnit::WorkingDays, 1) => f.write_str("1 working day"),
            (SpanUnit::WorkingDays, n) => write!(f, "{n} working days"),
        }
    }
}

/// When something started at `from` with `span` to do it is due.
/// Hours: from + amount hours exactly.
/// Working days: the end (local midnight) of the amount-th working day after the local day of `from`, in `tz`,
/// as UTC — "within 3 working days" of a report on Friday evening ends at the end of Wednesday when no holiday
/// intervenes. amount 0 working days = end of the local day of `from`. Saturates at the latest instant.
pub fn deadline(from: DateTime<Utc>, span: Span, calendar: &WorkCalendar, tz: Tz) -> DateTime<Utc> {
    let due = match span.unit {
        SpanUnit::Hours => from.checked_add_signed(TimeDelta::hours(i64::from(span.amount))),
        SpanUnit::WorkingDays => {
            let last = calendar.add_working_days(from.with_timezone(&tz).date_naive(), span.amount);
            last.succ_opt().and_then(|next| start_of_day(next, tz))
        }
    };
    due.unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// The first instant of `day` in `tz`. When a clock change skips local midnight, the day starts at the change,
/// which is midnight read with the offset in force before it.
fn start_of_day(day: NaiveDate, tz: Tz) -> Option<DateTime<Utc>> {
    let midnight = day.and_time(NaiveTime::MIN);
    if let Some(first) = tz.from_local_datetime(&midnight).earliest() {
        return Some(first.with_timezone(&Utc));
    }
    let before = tz.offset_from_utc_datetime(&midnight.checked_sub_signed(TimeDelta::days(1))?).fix();
    Some(Utc.from_utc_datetime(&midnight.checked_sub_offset(before)?))
}

/// Red/yellow/green as command centres show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Light {
    /// On time.
    Green,
    /// Open, with little of the allowed time left.
    Yellow,
    /// Overdue.
    Red,
}

/// The light of work started at `start`, due at `due`, finished at `done` (None while open), seen at `now`:
/// red when overdue (open past `due`, or finished after it), yellow while open with less than `warn_share`
/// (0–1) of the allowed time left, else green. A finished on-time item is green.
pub fn light(
    start: DateTime<Utc>,
    due: DateTime<Utc>,
    done: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    warn_share: f64,
) -> Light {
    if overdue(due, done, now) {
        return Light::Red;
    }
    if done.is_some() {
        return Light::Green;
    }
    let allowed = (due - start).num_milliseconds() as f64;
    let left = (due - now).num_milliseconds() as f64;
    if left < allowed * warn_share { Light::Yellow } else { Light::Green }
}

/// Open past its deadline, or finished after it.
pub fn overdue(due: DateTime<Utc>, done: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    done.unwrap_or(now) > due
}

#[cfg(test)]
mod tests {
    use chrono_tz::{America::Santiago, Asia::Shanghai};
    use proptest::prelude::*;

    use super::*;

    fn d(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn t(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn one_year(year: &str, days_off: &str, working_weekends: &str) -> String {
        format!(r#"{{"years": {{"{year}": {{"days_off": [{days_off}], "working_weekends": [{working_weekends}]}}}}}}"#)
    }

    #[test]
    fn the_embedded_file_parses() {
        let china = WorkCalendar::from_json(CHINA_JSON).unwrap();
        assert_eq!(china, WorkCalendar::china());
        assert_eq!(china.years(), vec![2024, 2025, 2026]);
        assert!(china.knows_year(2025) && !china.knows_year(2027));
    }

    #[test]
    fn national_day_2025() {
        let china = WorkCalendar::china();
        assert!(!china.is_working_day(d("2025-10-01")) && !china.is_working_day(d("2025-10-08")));
        assert!(china.is_working_day(d("2025-09-28")), "a Sunday worked before the holiday");
        assert_eq!(china.add_working_days(d("2025-09-30"), 1), d("2025-10-09"));
        assert_eq!(china.add_working_days(d("2025-09-30"), 3), d("2025-10-11"), "a working Saturday");
        assert_eq!(china.working_days_between(d("2025-09-30"), d("2025-10-12")), 4);
    }

    #[test]
    fn spring_festival_2026() {
        let china = WorkCalendar::china();
        assert_eq!(china.add_working_days(d("2026-02-13"), 1), d("2026-02-14"), "Friday, then a working Saturday");
        assert_eq!(china.add_working_days(d("2026-02-13"), 2), d("2026-02-24"), "16–20 and 23 are off");
        assert_eq!(china.add_working_days(d("2026-02-24"), 4), d("2026-02-28"), "a working Saturday again");
        assert_eq!(china.working_days_between(d("2026-02-14"), d("2026-03-01")), 6);
    }

    #[test]
    fn friday_plus_one_is_monday() {
        let china = WorkCalendar::china();
        assert_eq!(china.add_working_days(d("2025-03-07"), 1), d("2025-03-10"));
        assert_eq!(china.add_working_days(d("2025-03-07"), 0), d("2025-03-07"));
        assert_eq!(china.add_working_days(d("2025-03-08"), 0), d("2025-03-08"), "n = 0 is the day, working or not");
        assert_eq!(china.working_days_between(d("2025-03-10"), d("2025-03-07")), 0, "an empty range");
    }

    #[test]
    fn working_day_deadlines_end_at_local_midnight() {
        let china = WorkCalendar::china();
        let three = Span::working_days(3);
        assert_eq!(deadline(t("2025-09-30T10:00:00Z"), three, &china, Shanghai), t("2025-10-11T16:00:00Z"));
        // Friday 20:00 in Beijing is still Friday there, though already 12:00 UTC: due at the end of Wednesday.
        assert_eq!(deadline(t("2025-03-07T12:00:00Z"), three, &china, Shanghai), t("2025-03-12T16:00:00Z"));
        // 02:00 in Beijing on 1 October: the local day is 1 October, a holiday.
        let zero = Span::working_days(0);
        assert_eq!(deadline(t("2025-09-30T18:00:00Z"), zero, &china, Shanghai), t("2025-10-01T16:00:00Z"));
    }

    #[test]
    fn a_skipped_midnight_ends_the_day_at_the_clock_change() {
        // Chile moved its clocks from 00:00 to 01:00 (UTC-4 to UTC-3) on Sunday 8 September 2024.
        let due = deadline(t("2024-09-07T16:00:00Z"), Span::working_days(0), &WorkCalendar::china(), Santiago);
        assert_eq!(due, t("2024-09-08T04:00:00Z"));
    }

    #[test]
    fn hour_deadlines_are_exact_and_huge_spans_saturate() {
        let china = WorkCalendar::china();
        let from = t("2025-09-30T10:17:03Z");
        assert_eq!(deadline(from, Span::hours(24), &china, Shanghai), t("2025-10-01T10:17:03Z"));
        assert_eq!(deadline(from, Span::hours(0), &china, Shanghai), from);
        assert_eq!(deadline(from, Span::hours(u32::MAX), &china, Shanghai), DateTime::<Utc>::MAX_UTC);
        assert_eq!(deadline(from, Span::working_days(u32::MAX), &china, Shanghai), DateTime::<Utc>::MAX_UTC);
        assert_eq!(china.add_working_days(d("2025-01-01"), u32::MAX), NaiveDate::MAX);
    }

    #[test]
    fn from_json_names_the_bad_date() {
        let saturday = WorkCalendar::from_json(&one_year("2027", r#""2027-01-02""#, "")).unwrap_err();
        assert!(saturday.contains("2027-01-02") && saturday.contains("Sat"), "{saturday}");
        let tuesday = WorkCalendar::from_json(&one_year("2027", "", r#""2027-01-05""#)).unwrap_err();
        assert!(tuesday.contains("2027-01-05") && tuesday.contains("Tue"), "{tuesday}");
        let elsewhere = WorkCalendar::from_json(&one_year("2027", r#""2028-01-04""#, "")).unwrap_err();
        assert!(elsewhere.contains("2028-01-04") && elsewhere.contains("outside"), "{elsewhere}");
        assert!(WorkCalendar::from_json(&one_year("MMXXVII", "", "")).is_err());
        assert!(WorkCalendar::from_json(r#"{"years": {"2027": {"day_off": []}}}"#).is_err());
        assert!(WorkCalendar::from_json("not json").is_err());
    }

    #[test]
    fn merged_replaces_whole_years() {
        let override_2025 = WorkCalendar::from_json(&one_year("2025", r#""2025-03-10""#, r#""2025-03-08""#)).unwrap();
        let merged = WorkCalendar::china().merged(override_2025);
        assert!(merged.is_working_day(d("2025-10-01")), "the embedded 2025 is gone");
        assert!(!merged.is_working_day(d("2025-03-10")) && merged.is_working_day(d("2025-03-08")));
        assert!(!merged.is_working_day(d("2024-10-01")) && !merged.is_working_day(d("2026-02-16")), "others stay");
        assert_eq!(merged.years(), vec![2024, 2025, 2026]);
        let later = WorkCalendar::china().merged(WorkCalendar::from_json(&one_year("2027", "", "")).unwrap());
        assert_eq!(later.years(), vec![2024, 2025, 2026, 2027]);
    }

    #[test]
    fn light_boundaries() {
        let (start, due) = (t("2025-03-10T00:00:00Z"), t("2025-03-20T00:00:00Z"));
        let second = TimeDelta::seconds(1);
        assert_eq!(light(start, due, None, due, 0.2), Light::Yellow, "exactly at due is not overdue");
        assert!(!overdue(due, None, due) && overdue(due, None, due + second));
        assert_eq!(light(start, due, None, due + second, 0.2), Light::Red);
        assert_eq!(light(start, due, Some(due), due + TimeDelta::days(9), 0.2), Light::Green, "done at due");
        assert_eq!(light(start, due, Some(due + second), due + second, 0.2), Light::Red, "done late");
        assert_eq!(light(start, due, None, t("2025-03-18T00:00:00Z"), 0.2), Light::Green, "20% left is not < 20%");
        assert_eq!(light(start, due, None, t("2025-03-18T00:00:01Z"), 0.2), Light::Yellow);
        assert_eq!(light(start, due, None, t("2025-03-19T23:00:00Z"), 0.0), Light::Green, "no warning asked");
    }

    #[test]
    fn spans_serialise_and_display() {
        let three = Span::working_days(3);
        assert_eq!(serde_json::to_value(three).unwrap(), serde_json::json!({"amount": 3, "unit": "working_days"}));
        assert_eq!(serde_json::from_str::<Span>(r#"{"amount": 24, "unit": "hours"}"#).unwrap(), Span::hours(24));
        assert_eq!(
            (three.to_string(), Span::working_days(1).to_string()),
            ("3 working days".into(), "1 working day".into())
        );
        assert_eq!(Span::hours(24).to_string(), "24 h");
    }

    /// Days from 2018 to 2028, so that spans cross into and out of the known years.
    fn day() -> impl Strategy<Value = NaiveDate> {
        (0u64..4000).prop_map(|offset| NaiveDate::from_ymd_opt(2018, 1, 1).unwrap() + Days::new(offset))
    }

    proptest! {
        #[test]
        fn adding_lands_on_working_days_in_order(start in day(), n in 1u32..800) {
            let china = WorkCalendar::china();
            let (this, next) = (china.add_working_days(start, n), china.add_working_days(start, n + 1));
            prop_assert!(china.is_working_day(this));
            prop_assert!(start < this && this < next);
        }

        #[test]
        fn counting_undoes_adding(start in day(), n in 0u32..800) {
            let china = WorkCalendar::china();
            let end = china.add_working_days(start, n).succ_opt().unwrap();
            prop_assert_eq!(china.working_days_between(start.succ_opt().unwrap(), end), n);
        }

        /// The week-skipping shortcut agrees with walking day by day.
        #[test]
        fn shortcuts_match_walking(start in day(), n in 0u32..1500) {
            let china = WorkCalendar::china();
            let (mut walked, mut left) = (start, n);
            while left > 0 {
                walked = walked.succ_opt().unwrap();
                left -= u32::from(china.is_working_day(walked));
            }
            prop_assert_eq!(china.add_working_days(start, n), walked);
            let to = start + Days::new(u64::from(n));
            let counted = start.iter_days().take_while(|&day| day < to).filter(|&day| china.is_working_day(day));
            prop_assert_eq!(china.working_days_between(start, to) as usize, counted.count());
        }

        #[test]
        fn unknown_years_are_monday_to_friday(start in day()) {
            let china = WorkCalendar::china();
            if !china.knows_year(start.year()) {
                prop_assert_eq!(china.is_working_day(start), !is_weekend(start));
            }
            let plain = WorkCalendar::from_json(r#"{"years": {}}"#).unwrap();
            prop_assert_eq!(plain.is_working_day(start), !is_weekend(start));
            prop_assert_eq!(plain.working_days_between(start, start + Days::new(7)), 5);
        }

        #[test]
        fn working_day_deadlines_are_never_early(start in day(), seconds in 0i64..86_400, n in 0u32..30) {
            let from = start.and_time(NaiveTime::MIN).and_utc() + TimeDelta::seconds(seconds);
            let due = deadline(from, Span::working_days(n), &WorkCalendar::china(), Shanghai);
            prop_assert!(due > from);
            prop_assert_eq!(due.with_timezone(&Shanghai).time(), NaiveTime::MIN);
        }

        #[test]
        fn red_is_overdue(offsets in (0i64..1000, 0i64..2000, proptest::option::of(0i64..2000)), share in 0.0f64..1.0) {
            let base = t("2025-01-01T00:00:00Z");
            let at = |minutes: i64| base + TimeDelta::minutes(minutes);
            let (due, now, done) = (at(offsets.0), at(offsets.1), offsets.2.map(at));
            prop_assert_eq!(light(base, due, done, now, share) == Light::Red, overdue(due, done, now));
        }
    }
}
