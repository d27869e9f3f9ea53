//! Reads an inspection file by header name (the English field names, or the Chinese column names of
//! station and remote-sensing software) into normalised records, naming every bad row and field.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::domain::crs::Crs;
use crate::domain::vehicle::{
    EmissionStage, LimitClass, Measurements, Outcome, Plate, PlateColour, Quantity, TestMethod, Vin,
};
use crate::error::{ApiError, FieldError};
use crate::import::{Columns, Record, Upload};

static COLUMNS: LazyLock<Columns> = LazyLock::new(|| {
    Columns::new(&[
        ("record_id", &["流水号", "检测流水号", "检验流水号", "记录编号"]),
        ("station", &["检测站", "检测机构", "检测站名称", "站点"]),
        ("inspected_at", &["检测时间", "检测日期", "检验时间", "监测时间"]),
        ("plate", &["号牌号码", "车牌号", "车牌号码", "号牌"]),
        ("plate_colour", &["号牌颜色", "车牌颜色"]),
        ("vin", &["车辆识别代号", "车架号", "vin码"]),
        ("vehicle_category", &["车辆类型", "车辆类别"]),
        ("fuel_type", &["燃料类型", "燃料种类"]),
        ("stage", &["排放阶段", "排放标准"]),
        ("method", &["检测方法", "检验方法"]),
        ("limit_class", &["限值类别", "限值"]),
        ("opacity_k", &["光吸收系数", "k值", "烟度值"]),
        ("nox_ppm", &["氮氧化物", "nox"]),
        ("ringelmann", &["林格曼黑度"]),
        ("opacity_pct", &["不透光度", "烟度不透光度"]),
        ("no_ppm", &["一氧化氮", "no"]),
        ("obd_fault_codes", &["故障码", "obd故障码"]),
        ("obd_ready", &["就绪状态", "obd就绪状态"]),
        ("result", &["检测结果", "结论", "判定结果"]),
        ("lon", &["经度", "longitude"]),
        ("lat", &["纬度", "latitude"]),
        ("cell", &["网格", "网格编码", "cell_code"]),
    ])
});

/// One inspection as the source sent it, normalised: codes parsed, the plate upper-cased, the time in
/// UTC, the position in WGS-84. Its JSON is what tells a corrected row from a repeated one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Submitted {
    pub record_id: String,
    pub station: Option<String>,
    pub inspected_at: DateTime<Utc>,
    pub plate: String,
    pub plate_colour: Option<PlateColour>,
    pub vin: Option<String>,
    pub vin_check_ok: Option<bool>,
    pub vehicle_category: Option<String>,
    pub fuel_type: Option<String>,
    pub stage: Option<EmissionStage>,
    pub method: TestMethod,
    pub limit_class: LimitClass,
    pub measurements: Measurements,
    pub result: Option<Outcome>,
    pub position: Option<(f64, f64)>,
    pub cell: Option<String>,
}

/// A record with the line it started on (the header is line 1).
pub struct Numbered {
    pub row: u64,
    pub record: Submitted,
}

/// A row parsed, or an error for each of its bad fields.
pub type Item = Result<Numbered, Vec<FieldError>>;

/// The rows of a file, read one at a time (call it on a blocking thread); 422 `import-invalid-file` when the
/// upload is no such list at all.
pub fn records(
    upload: Upload,
    crs: Crs,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<Box<dyn Iterator<Item = Item> + Send>, ApiError> {
    let rows = upload.rows(&COLUMNS, &["record_id", "inspected_at", "plate", "method"])?;
    Ok(Box::new(rows.map(move |record| {
        let record = record.map_err(|e| vec![e])?;
        parse(&record, crs, now, tz).map(|parsed| Numbered { row: record.row, record: parsed })
    })))
}

/// Every good row parsed, and an error for each field of each bad one.
pub type Parsed = (Vec<Numbered>, Vec<FieldError>);

pub fn inspections(upload: Upload, crs: Crs, now: DateTime<Utc>, tz: Tz) -> Result<Parsed, ApiError> {
    let (mut found, mut errors) = (Vec::new(), Vec::new());
    for item in records(upload, crs, now, tz)? {
        match item {
            Ok(numbered) => found.push(numbered),
            Err(bad) => errors.extend(bad),
        }
    }
    Ok((found, errors))
}

/// One row, with an error for every bad field.
fn parse(r: &Record, crs: Crs, now: DateTime<Utc>, tz: Tz) -> Result<Submitted, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut check = |field: &str, result: Result<(), String>| {
        if let Err(m) = result {
            errors.push(r.error(field, m));
        }
    };
    let text = |field: &str, max: usize| r.text(field).map(|t| t.chars().take(max).collect::<String>());
    let record_id = r.text("record_id").map(str::to_owned);
    check(
        "record_id",
        match &record_id {
            Some(id) if id.chars().count() <= 64 => Ok(()),
            Some(_) => Err("must be at most 64 characters".into()),
            None => Err("is required".into()),
        },
    );
    let inspected_at = r.text("inspected_at").map(|t| crate::domain::time::parse(t, tz));
    check(
        "inspected_at",
        match &inspected_at {
            None => Err("is required".into()),
            Some(Err(m)) => Err(m.clone()),
            Some(Ok(t)) if *t > now => Err("is in the future".into()),
            Some(Ok(_)) => Ok(()),
        },
    );
    let plate = r.text("plate").map(Plate::parse);
    check(
        "plate",
        match &plate {
            None => Err("is required".into()),
            Some(p) => p.as_ref().map(drop).map_err(Clone::clone),
        },
    );
    let method = coded(r, "method", TestMethod::parse, TestMethod::names, &mut errors);
    let stage = coded(r, "stage", EmissionStage::parse, EmissionStage::names, &mut errors);
    let plate_colour = coded(r, "plate_colour", PlateColour::parse, PlateColour::names, &mut errors);
    let limit_class = coded(r, "limit_class", LimitClass::parse, LimitClass::names, &mut errors);
    let result = coded(r, "result", Outcome::parse, Outcome::names, &mut errors);
    let vin = r.text("vin").map(Vin::parse).transpose().map_err(|m| errors.push(r.error("vin", m))).ok().flatten();
    let mut measurements = Measurements::default();
    for &q in Quantity::ALL {
        if let Some(value) = number(r, q.as_str(), &mut errors) {
            let (min, max) = q.possible();
            if (min..=max).contains(&value) {
                measurements.values.push((q, value));
            } else {
                errors.push(r.error(q.as_str(), format!("must be between {min} and {max}")));
            }
        }
    }
    measurements.obd_fault_codes = r
        .text("obd_fault_codes")
        .map(|t| t.split([',', ';', '，', '；', ' ']).filter(|c| !c.is_empty()).map(str::to_uppercase).collect())
        .unwrap_or_default();
    measurements.obd_ready = match r.text("obd_ready").map(|t| t.to_lowercase()) {
        None => None,
        Some(t) if matches!(t.as_str(), "1" | "true" | "yes" | "是" | "就绪" | "ready") => Some(true),
        Some(t) if matches!(t.as_str(), "0" | "false" | "no" | "否" | "未就绪" | "not_ready") => Some(false),
        Some(_) => {
            errors.push(r.error("obd_ready", "must be true or false (1/0, 是/否)"));
            None
        }
    };
    let lon = number(r, "lon", &mut errors);
    let lat = number(r, "lat", &mut errors);
    let position = match (lon, lat) {
        (Some(lon), Some(lat)) if (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat) => {
            Some(crs.to_wgs84(lon, lat))
        }
        (None, None) => None,
        _ => {
            errors.push(r.error("lon", "lon and lat go together, within ±180 and ±90"));
            None
        }
    };
    let cell = r.text("cell").map(str::to_owned);
    if let Some(Err(m)) = cell.as_deref().map(crate::domain::grid::CellCode::parse) {
        errors.push(r.error("cell", m));
    }
    match (record_id, inspected_at, plate, method) {
        (Some(record_id), Some(Ok(inspected_at)), Some(Ok(plate)), Some(method)) if errors.is_empty() => {
            Ok(Submitted {
                record_id,
                station: text("station", 100),
                inspected_at,
                plate: plate.as_str().to_owned(),
                plate_colour,
                vin_check_ok: vin.as_ref().map(|v| v.check_digit_ok),
                vin: vin.map(|v| v.value),
                vehicle_category: text("vehicle_category", 50),
                fuel_type: text("fuel_type", 50),
                stage,
                method,
                limit_class: limit_class.unwrap_or(LimitClass::A),
                measurements,
                result,
                position,
                cell,
            })
        }
        _ => Err(errors),
    }
}

/// A coded column: absent is `None`, an unknown value is an error listing the known ones.
fn coded<T>(
    r: &Record,
    field: &str,
    parse: fn(&str) -> Option<T>,
    names: fn() -> String,
    errors: &mut Vec<FieldError>,
) -> Option<T> {
    let raw = r.text(field)?;
    let value = parse(raw);
    if value.is_none() {
        errors.push(r.error(field, format!("{raw} is not known (one of {})", names())));
    }
    value
}

/// A numeric column: absent is `None`; text or a non-finite number is an error.
fn number(r: &Record, field: &str, errors: &mut Vec<FieldError>) -> Option<f64> {
    let raw = r.text(field)?;
    match raw.parse::<f64>() {
        Ok(v) if v.is_finite() => Some(v),
        _ => {
            errors.push(r.error(field, format!("{raw} is not a number")));
            None
        }
    }
}
