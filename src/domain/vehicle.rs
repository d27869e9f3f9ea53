//! Diesel-vehicle emission inspections (GB 3847-2018, HJ 845-2017): plates, VINs, the coded values station
//! and remote-sensing software send, and the server-side judgement against a configurable limit table.

use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Provincial prefixes of civil plates.
const PROVINCES: &str = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼";
/// Last characters of special 7-character plates: trailer, coach, police, Hong Kong, Macao, consulate, test.
const SUFFIXES: &str = "挂学警港澳领试超";

/// A licence plate (号牌号码), upper case, without separators: `辽A12345`, `辽AD12345` (new energy), `辽A1234挂`, `使014578` (embassy).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[schema(value_type = String, example = "辽A12345")]
pub struct Plate(String);

impl Plate {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let plate: String =
            raw.chars().filter(|c| !matches!(c, ' ' | '·' | '•' | '-' | '.')).flat_map(char::to_uppercase).collect();
        let chars: Vec<char> = plate.chars().collect();
        let serial_char = |c: &char| (c.is_ascii_uppercase() && !matches!(c, 'I' | 'O')) || c.is_ascii_digit();
        let well_formed = match chars.as_slice() {
            [p, authority, rest @ ..] if PROVINCES.contains(*p) && authority.is_ascii_uppercase() => match rest {
                // Ordinary plate, or a special one whose last character is a suffix such as 挂.
                [serial @ .., last] if rest.len() == 5 => {
                    serial.iter().all(serial_char) && (serial_char(last) || SUFFIXES.contains(*last))
                }
                // New-energy plates: a D/F-like letter first (small vehicles) or last (large vehicles).
                [first, .., last] if rest.len() == 6 => {
                    rest.iter().all(serial_char) && (new_energy_letter(*first) || new_energy_letter(*last))
                }
                _ => false,
            },
            // Embassy plates: 使, a three-digit mission code and a three-digit serial.
            ['使', serial @ ..] => serial.len() == 6 && serial.iter().all(char::is_ascii_digit),
            _ => false,
        };
        if well_formed {
            Ok(Self(plate))
        } else {
            Err("must be a Chinese plate: a province character, an authority letter and 5 letters or digits \
                 (6 on new-energy plates), e.g. 辽A12345, 辽AD12345 or 沪A1234领, or an embassy plate 使 and 6 digits"
                .into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The energy-type letters of new-energy plates (D pure electric, F other; A–K since 2022, without I).
fn new_energy_letter(c: char) -> bool {
    matches!(c, 'A'..='K') && c != 'I'
}

impl fmt::Display for Plate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A vehicle identification number (车辆识别代号): 17 characters, no I, O or Q.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Vin {
    pub value: String,
    /// Whether the ISO 3779 check digit (9th character) matches; a mismatch is flagged, not refused, since
    /// registration systems hold vehicles whose VIN was issued without a valid one.
    pub check_digit_ok: bool,
}

impl Vin {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let value = raw.trim().to_ascii_uppercase();
        if value.chars().count() != 17 {
            return Err("must be 17 characters".into());
        }
        if let Some(bad) = value.chars().find(|c| !c.is_ascii_alphanumeric() || matches!(c, 'I' | 'O' | 'Q')) {
            return Err(format!("must be letters and digits without I, O or Q (found {bad})"));
        }
        let check_digit_ok = value.as_bytes()[8] == check_digit(&value);
        Ok(Self { value, check_digit_ok })
    }
}

/// The ISO 3779 / GB 16735 check digit of a 17-character VIN ('0'–'9' or 'X').
fn check_digit(vin: &str) -> u8 {
    const WEIGHTS: [u32; 17] = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];
    let value = |c: u8| -> u32 {
        match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'A'..=b'H' => u32::from(c - b'A') + 1,
            b'J'..=b'R' => u32::from(c - b'J') + 1,
            b'S'..=b'Z' => u32::from(c - b'S') + 2,
            _ => 0,
        }
    };
    let sum: u32 = vin.bytes().zip(WEIGHTS).map(|(c, w)| value(c) * w).sum();
    match sum % 11 {
        10 => b'X',
        n => b'0' + n as u8,
    }
}

/// Declares a coded value: its wire names (snake_case) and the other names and codes files use.
macro_rules! coded {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $wire:literal $(| $alias:literal)*),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $wire)] $variant),+
        }

        // Written out: the derive does not see `rename` through a macro's literal and would document the
        // variant names instead of the wire names.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($wire),+]))
                    .into()
            }
        }

        impl ToSchema for $name {}

        impl $name {
            pub const ALL: &[Self] = &[$(Self::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $wire),+ }
            }

            /// The wire name, or a Chinese name or code station software uses (case and spaces ignored).
            pub fn parse(raw: &str) -> Option<Self> {
                let key: String = raw.chars().filter(|c| !c.is_whitespace()).flat_map(char::to_lowercase).collect();
                $(if key == $wire $(|| key == $alias)* { return Some(Self::$variant); })+
                None
            }

            pub fn names() -> String {
                Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

coded!(
    /// Plate colour (号牌颜色).
    PlateColour {
        Blue = "blue" | "蓝" | "蓝色",
        Yellow = "yellow" | "黄" | "黄色",
        White = "white" | "白" | "白色",
        Black = "black" | "黑" | "黑色",
        Green = "green" | "绿" | "绿色" | "渐变绿",
        YellowGreen = "yellow_green" | "黄绿" | "黄绿色" | "黄绿双拼",
        Other = "other" | "其他",
    }
);

coded!(
    /// Emission stage (排放阶段) from the vehicle's environmental information list.
    EmissionStage {
        China3 = "china_3" | "国3" | "国iii" | "国三" | "cn_iii" | "china_iii",
        China4 = "china_4" | "国4" | "国iv" | "国四" | "cn_iv" | "china_iv",
        China5 = "china_5" | "国5" | "国v" | "国五" | "cn_v" | "china_v",
        China6a = "china_6a" | "国6a" | "国via" | "国六a" | "cn_vi_a" | "china_vi_a",
        China6b = "china_6b" | "国6b" | "国vib" | "国六b" | "cn_vi_b" | "china_vi_b",
    }
);

coded!(
    /// Test method (检测方法), with the station-software codes (4 lug-down, 5 free acceleration).
    TestMethod {
        /// Free acceleration, opacimeter (自由加速-不透光烟度法): k in m⁻¹.
        FreeAcceleration = "free_acceleration" | "5" | "自由加速" | "自由加速法" | "不透光烟度法" | "snap",
        /// Lug-down (加载减速法): k in m⁻¹ and NOx in ppm.
        LugDown = "lug_down" | "4" | "加载减速" | "加载减速法" | "ld",
        /// Ringelmann smoke blackness (林格曼黑度法): level 0–5.
        Ringelmann = "ringelmann" | "林格曼" | "林格曼黑度法",
        /// Remote sensing on the road (遥感检测, HJ 845-2017): opacity % and NO ppm.
        RemoteSensing = "remote_sensing" | "遥感" | "遥感检测" | "遥感检测法",
        /// OBD check (OBD检查): fault codes and readiness.
        Obd = "obd" | "obd检查",
    }
);

coded!(
    /// The result of one item or of a whole inspection (`passed`: 1 合格, 0 不合格, 2 中止, 3 无效).
    Outcome {
        Pass = "pass" | "1" | "合格" | "通过" | "passed",
        Fail = "fail" | "0" | "不合格" | "failed",
        Aborted = "aborted" | "2" | "中止",
        Invalid = "invalid" | "3" | "无效",
    }
);

coded!(
    /// GB 3847-2018 limit class: "limit a" for in-use vehicles, the stricter "limit b" where provinces apply it.
    LimitClass {
        A = "a" | "限值a" | "limit_a",
        B = "b" | "限值b" | "limit_b",
    }
);

coded!(
    /// Kind of non-road mobile machinery (非道路移动机械).
    MachineType {
        Excavator = "excavator" | "挖掘机",
        Loader = "loader" | "装载机",
        Forklift = "forklift" | "叉车",
        Bulldozer = "bulldozer" | "推土机",
        Roller = "roller" | "压路机",
        Crane = "crane" | "起重机" | "汽车吊",
        Paver = "paver" | "摊铺机",
        Other = "other" | "其他",
    }
);

coded!(
    /// Emission stage of a non-road diesel engine (GB 20891): China I to IV.
    NonroadStage {
        China1 = "china_1" | "国一" | "国1" | "国i",
        China2 = "china_2" | "国二" | "国2" | "国ii",
        China3 = "china_3" | "国三" | "国3" | "国iii",
        China4 = "china_4" | "国四" | "国4" | "国iv",
        Unknown = "unknown" | "不详" | "未知",
    }
);

coded!(
    /// A measured quantity with its unit.
    Quantity {
        /// Light-absorption coefficient k (m⁻¹).
        OpacityK = "opacity_k",
        /// NOx at the 80 % point (ppm).
        NoxPpm = "nox_ppm",
        /// Ringelmann level (0–5).
        Ringelmann = "ringelmann",
        /// Remote-sensing opacity (%).
        OpacityPct = "opacity_pct",
        /// Remote-sensing NO (ppm).
        NoPpm = "no_ppm",
    }
);

impl Quantity {
    /// The range a real instrument can report; anything outside it is a data error, not a measurement.
    pub fn possible(self) -> (f64, f64) {
        match self {
            Self::OpacityK => (0.0, 20.0),
            Self::NoxPpm | Self::NoPpm => (0.0, 10_000.0),
            Self::Ringelmann => (0.0, 5.0),
            Self::OpacityPct => (0.0, 100.0),
        }
    }
}

/// The measured values of one inspection; which ones a method needs is [`TestMethod::quantities`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Measurements {
    pub values: Vec<(Quantity, f64)>,
    /// OBD: diagnostic trouble codes read (empty = none).
    pub obd_fault_codes: Vec<String>,
    /// OBD: whether every readiness monitor is complete.
    pub obd_ready: Option<bool>,
}

impl Measurements {
    pub fn get(&self, q: Quantity) -> Option<f64> {
        self.values.iter().find(|(k, _)| *k == q).map(|(_, v)| *v)
    }
}

impl TestMethod {
    /// The quantities the method measures and judges.
    pub fn quantities(self) -> &'static [Quantity] {
        match self {
            Self::FreeAcceleration => &[Quantity::OpacityK],
            Self::LugDown => &[Quantity::OpacityK, Quantity::NoxPpm],
            Self::Ringelmann => &[Quantity::Ringelmann],
            Self::RemoteSensing => &[Quantity::OpacityPct, Quantity::NoPpm],
            Self::Obd => &[],
        }
    }
}

/// The limits: per method, quantity and class, with optional overrides for one emission stage.
#[derive(Debug, Clone, PartialEq)]
pub struct LimitTable {
    limits: HashMap<(TestMethod, Quantity, Option<EmissionStage>, LimitClass), f64>,
}

/// One entry of a limit-table file; `stage` absent means every stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitEntry {
    pub method: String,
    pub quantity: String,
    #[serde(default)]
    pub stage: Option<String>,
    pub class: String,
    pub limit: f64,
}

impl Default for LimitTable {
    /// The commonly cited values of GB 3847-2018 and HJ 845-2017 (unverified against the standards:
    /// deployments override them with a file).
    fn default() -> Self {
        use LimitClass::{A, B};
        use Quantity::*;
        use TestMethod::*;
        let rows = [
            (FreeAcceleration, OpacityK, 1.2, 0.7),
            (LugDown, OpacityK, 1.2, 0.7),
            (LugDown, NoxPpm, 1500.0, 900.0),
            (TestMethod::Ringelmann, Quantity::Ringelmann, 1.0, 1.0),
            (RemoteSensing, OpacityPct, 30.0, 30.0),
            (RemoteSensing, NoPpm, 1500.0, 1500.0),
        ];
        let limits = rows.into_iter().flat_map(|(m, q, a, b)| [((m, q, None, A), a), ((m, q, None, B), b)]).collect();
        Self { limits }
    }
}

impl LimitTable {
    /// The defaults with the file's entries over them; every bad entry is named.
    pub fn with_entries(mut self, entries: &[LimitEntry]) -> Result<Self, String> {
        let mut problems = Vec::new();
        for (i, e) in entries.iter().enumerate() {
            let method = TestMethod::parse(&e.method);
            let quantity = Quantity::parse(&e.quantity).filter(|q| method.is_some_and(|m| m.quantities().contains(q)));
            let stage = e.stage.as_deref().map(EmissionStage::parse);
            let class = LimitClass::parse(&e.class);
            match (method, quantity, stage, class) {
                (Some(m), Some(q), None | Some(Some(_)), Some(c)) if e.limit.is_finite() && e.limit >= 0.0 => {
                    self.limits.insert((m, q, stage.flatten(), c), e.limit);
                }
                _ => problems
                    .push(format!("entry {}: not a known method, quantity, stage and class with a limit ≥ 0", i + 1)),
            }
        }
        if problems.is_empty() { Ok(self) } else { Err(problems.join("; ")) }
    }

    /// The limit for a quantity: the stage's own if there is one, else the method's.
    pub fn limit(
        &self,
        method: TestMethod,
        quantity: Quantity,
        stage: Option<EmissionStage>,
        class: LimitClass,
    ) -> Option<f64> {
        stage
            .and_then(|s| self.limits.get(&(method, quantity, Some(s), class)))
            .or_else(|| self.limits.get(&(method, quantity, None, class)))
            .copied()
    }
}

/// One judged item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Item {
    /// `opacity_k`, `nox_ppm`, `ringelmann`, `opacity_pct`, `no_ppm` or `obd`.
    #[schema(example = "opacity_k")]
    pub quantity: String,
    /// The measured value (null for the OBD check).
    pub value: Option<f64>,
    /// The limit applied (null for the OBD check).
    pub limit: Option<f64>,
    pub result: Outcome,
}

/// The server's judgement of an inspection.
#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    pub items: Vec<Item>,
    pub result: Outcome,
}

/// Judges an inspection: each item passes when its value is at most the limit (equal passes); the whole
/// passes when every item does. A test the station aborted or declared invalid stays so, and a test
/// missing a value it needs is invalid.
pub fn judge(
    table: &LimitTable,
    method: TestMethod,
    stage: Option<EmissionStage>,
    class: LimitClass,
    measured: &Measurements,
    submitted: Option<Outcome>,
) -> Judgement {
    let mut items = Vec::new();
    let mut complete = true;
    for &q in method.quantities() {
        match (measured.get(q), table.limit(method, q, stage, class)) {
            (Some(value), Some(limit)) => {
                let result = if value <= limit { Outcome::Pass } else { Outcome::Fail };
                items.push(Item { quantity: q.as_str().into(), value: Some(value), limit: Some(limit), result });
            }
            _ => complete = false,
        }
    }
    if method == TestMethod::Obd {
        match measured.obd_ready {
            Some(ready) => {
                let pass = ready && measured.obd_fault_codes.is_empty();
                let result = if pass { Outcome::Pass } else { Outcome::Fail };
                items.push(Item { quantity: "obd".into(), value: None, limit: None, result });
            }
            None => complete = false,
        }
    }
    let result = match submitted {
        Some(s @ (Outcome::Aborted | Outcome::Invalid)) => s,
        _ if !complete => Outcome::Invalid,
        _ if items.iter().all(|i| i.result == Outcome::Pass) => Outcome::Pass,
        _ => Outcome::Fail,
    };
    Judgement { items, result }
}

/// A pass rate in percent with two decimals (97.72), or None when nothing was tested.
pub fn pass_rate(passed: i64, tested: i64) -> Option<f64> {
    (tested > 0).then(|| (passed as f64 * 10_000.0 / tested as f64).round() / 100.0)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn plates() {
        for good in [
            "辽A12345",
            "辽 A·12345",
            "辽ad12345",
            "辽A12345D",
            "辽A1234挂",
            "京A0001警",
            "粤Z1234港",
            "沪A1234领",
            "使014578",
            "使 014·578",
        ] {
            assert!(Plate::parse(good).is_ok(), "{good}");
        }
        assert_eq!(Plate::parse("辽 a·12345").unwrap().as_str(), "辽A12345");
        for bad in [
            "",
            "A12345",
            "辽12345",
            "辽A1234",
            "辽A1234567",
            "辽AI2345",
            "辽A123456",
            "X辽12345",
            "辽A12挂45",
            "使01457",
            "使0145789",
            "使A14578",
        ] {
            assert!(Plate::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn vins_flag_a_wrong_check_digit_and_refuse_bad_characters() {
        let good = Vin::parse("1M8GDM9AXKP042788").unwrap();
        assert!(good.check_digit_ok);
        let flagged = Vin::parse("1M8GDM9A1KP042788").unwrap();
        assert!(!flagged.check_digit_ok);
        assert!(Vin::parse("1M8GDM9AXKP04278").is_err());
        assert!(Vin::parse("1M8GDM9AXKP04278O").is_err());
        assert!(Vin::parse("IM8GDM9AXKP042788").is_err());
    }

    #[test]
    fn coded_values_read_chinese_names_and_codes() {
        assert_eq!(TestMethod::parse("加载减速法"), Some(TestMethod::LugDown));
        assert_eq!(TestMethod::parse("5"), Some(TestMethod::FreeAcceleration));
        assert_eq!(EmissionStage::parse("国VI b"), Some(EmissionStage::China6b));
        assert_eq!(EmissionStage::parse("国五"), Some(EmissionStage::China5));
        assert_eq!(PlateColour::parse("黄绿"), Some(PlateColour::YellowGreen));
        assert_eq!(Outcome::parse("不合格"), Some(Outcome::Fail));
        assert_eq!(Outcome::parse("2"), Some(Outcome::Aborted));
        assert_eq!(TestMethod::parse("dyno"), None);
    }

    fn values(pairs: &[(Quantity, f64)]) -> Measurements {
        Measurements { values: pairs.to_vec(), ..Default::default() }
    }

    #[test]
    fn a_value_equal_to_the_limit_passes_and_just_above_fails() {
        let t = LimitTable::default();
        let judge_k = |method, k: f64, class| {
            judge(&t, method, None, class, &values(&[(Quantity::OpacityK, k), (Quantity::NoxPpm, 0.0)]), None).result
        };
        for method in [TestMethod::FreeAcceleration, TestMethod::LugDown] {
            assert_eq!(judge_k(method, 1.2, LimitClass::A), Outcome::Pass);
            assert_eq!(judge_k(method, 1.21, LimitClass::A), Outcome::Fail);
            assert_eq!(judge_k(method, 0.7, LimitClass::B), Outcome::Pass);
            assert_eq!(judge_k(method, 0.71, LimitClass::B), Outcome::Fail);
        }
        let nox = |ppm| {
            judge(
                &t,
                TestMethod::LugDown,
                None,
                LimitClass::A,
                &values(&[(Quantity::OpacityK, 0.5), (Quantity::NoxPpm, ppm)]),
                None,
            )
        };
        assert_eq!(nox(1500.0).result, Outcome::Pass);
        let failed = nox(1501.0);
        assert_eq!(failed.result, Outcome::Fail);
        assert_eq!(failed.items[1].limit, Some(1500.0));
        assert_eq!(failed.items[0].result, Outcome::Pass);
        let ringelmann = |level| {
            judge(&t, TestMethod::Ringelmann, None, LimitClass::A, &values(&[(Quantity::Ringelmann, level)]), None)
                .result
        };
        assert_eq!(ringelmann(1.0), Outcome::Pass);
        assert_eq!(ringelmann(2.0), Outcome::Fail);
        let rs = |pct, no| {
            judge(
                &t,
                TestMethod::RemoteSensing,
                None,
                LimitClass::A,
                &values(&[(Quantity::OpacityPct, pct), (Quantity::NoPpm, no)]),
                None,
            )
            .result
        };
        assert_eq!(rs(30.0, 1500.0), Outcome::Pass);
        assert_eq!(rs(30.1, 100.0), Outcome::Fail);
        assert_eq!(rs(10.0, 1500.5), Outcome::Fail);
    }

    #[test]
    fn obd_missing_values_and_station_outcomes() {
        let t = LimitTable::default();
        let obd = |codes: &[&str], ready| {
            let m = Measurements {
                obd_fault_codes: codes.iter().map(|c| c.to_string()).collect(),
                obd_ready: ready,
                ..Default::default()
            };
            judge(&t, TestMethod::Obd, None, LimitClass::A, &m, None).result
        };
        assert_eq!(obd(&[], Some(true)), Outcome::Pass);
        assert_eq!(obd(&["P0401"], Some(true)), Outcome::Fail);
        assert_eq!(obd(&[], Some(false)), Outcome::Fail);
        assert_eq!(obd(&[], None), Outcome::Invalid);
        let lug = judge(
            &t,
            TestMethod::LugDown,
            None,
            LimitClass::A,
            &values(&[(Quantity::OpacityK, 0.5)]),
            Some(Outcome::Pass),
        );
        assert_eq!(lug.result, Outcome::Invalid, "a lug-down test without NOx cannot pass");
        let aborted =
            judge(&t, TestMethod::FreeAcceleration, None, LimitClass::A, &values(&[]), Some(Outcome::Aborted));
        assert_eq!(aborted.result, Outcome::Aborted);
    }

    #[test]
    fn stage_overrides_and_bad_entries() {
        let entry = |stage: Option<&str>, limit| LimitEntry {
            method: "lug_down".into(),
            quantity: "nox_ppm".into(),
            stage: stage.map(str::to_owned),
            class: "a".into(),
            limit,
        };
        let t = LimitTable::default().with_entries(&[entry(Some("china_6b"), 700.0)]).unwrap();
        let m = TestMethod::LugDown;
        assert_eq!(t.limit(m, Quantity::NoxPpm, Some(EmissionStage::China6b), LimitClass::A), Some(700.0));
        assert_eq!(t.limit(m, Quantity::NoxPpm, Some(EmissionStage::China5), LimitClass::A), Some(1500.0));
        assert!(LimitTable::default().with_entries(&[entry(Some("china_9"), 1.0)]).is_err());
        assert!(LimitTable::default().with_entries(&[entry(None, -1.0)]).is_err());
    }

    #[test]
    fn pass_rates() {
        assert_eq!(pass_rate(97_720, 100_000), Some(97.72));
        assert_eq!(pass_rate(0, 0), None);
        assert_eq!(pass_rate(2, 3), Some(66.67));
    }

    proptest! {
        #[test]
        fn judgement_is_monotonic_in_the_value(k in 0.0f64..5.0, class in prop::sample::select(vec![LimitClass::A, LimitClass::B])) {
            let t = LimitTable::default();
            let limit = t.limit(TestMethod::FreeAcceleration, Quantity::OpacityK, None, class).unwrap();
            let r = judge(&t, TestMethod::FreeAcceleration, None, class, &values(&[(Quantity::OpacityK, k)]), None).result;
            prop_assert_eq!(r == Outcome::Pass, k <= limit);
        }

        #[test]
        fn any_valid_serial_is_a_plate(serial in "[A-HJ-NP-Z0-9]{5}", p in prop::sample::select(PROVINCES.chars().collect::<Vec<_>>())) {
            let raw = format!("{p}B{serial}");
            prop_assert_eq!(Plate::parse(&raw).map(|p| p.0), Ok(raw));
        }

        #[test]
        fn a_vin_with_its_own_check_digit_is_ok(head in "[A-HJ-NPR-Z0-9]{8}", tail in "[A-HJ-NPR-Z0-9]{8}") {
            let draft = format!("{head}0{tail}");
            let digit = check_digit(&draft) as char;
            let vin = Vin::parse(&format!("{head}{digit}{tail}")).unwrap();
            prop_assert!(vin.check_digit_ok);
        }

        #[test]
        fn pass_rate_is_a_percentage(passed in 0i64..1_000_000, extra in 0i64..1_000_000) {
            let rate = pass_rate(passed, passed + extra);
            prop_assert!(rate.is_none_or(|r| (0.0..=100.0).contains(&r)));
        }
    }
}
