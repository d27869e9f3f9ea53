use std::io::Cursor;

use super::*;

fn columns() -> Columns {
    Columns::new(&[("plate", &["号牌号码", "车牌号"]), ("result", &["检测结果"]), ("opacity", &["光吸收系数（m-1）"])])
}

fn rows(bytes: &[u8], format: Format) -> Result<Vec<Result<Record, FieldError>>, ApiError> {
    read(Cursor::new(bytes.to_vec()), format, None, &columns(), &["plate"]).map(Iterator::collect)
}

#[test]
fn csv_columns_are_found_by_their_chinese_names_and_numbered_by_line() {
    let file = "号牌号码,检测结果,光吸收系数(m-1),备注\n辽A12345,合格,0.52,x\n辽B54321,,1.1,\n,,,\n";
    let read = rows(file.as_bytes(), Format::Csv).unwrap();
    let records: Vec<Record> = read.into_iter().map(Result::unwrap).collect();
    assert_eq!(records.len(), 2);
    assert_eq!(
        (records[0].row, records[0].text("plate"), records[0].text("opacity")),
        (2, Some("辽A12345"), Some("0.52"))
    );
    assert_eq!((records[1].row, records[1].text("result")), (3, None));
}

#[test]
fn gbk_and_tab_separated_files_read_like_utf8_csv() {
    let (gbk, _, _) = encoding_rs::GB18030.encode("车牌号\t检测结果\n辽A12345\t不合格\n");
    let records = rows(&gbk, Format::Csv).unwrap();
    assert_eq!(records[0].as_ref().unwrap().text("result"), Some("不合格"));
}

#[test]
fn a_file_that_is_not_a_table_is_refused_whole() {
    for file in ["<!DOCTYPE html><html>error</html>\n", "result\npass\n", ""] {
        let Err(ApiError::Rule { slug, .. }) = rows(file.as_bytes(), Format::Csv) else { panic!("{file:?} was read") };
        assert_eq!(slug, "import-invalid-file");
    }
}

#[test]
fn bad_lines_are_row_errors_and_reading_goes_on() {
    let read = rows("plate,result\nA,1,extra\nB,2\n".as_bytes(), Format::Csv).unwrap();
    assert_eq!(read[0].as_ref().unwrap_err().row, Some(2));
    assert_eq!(read[1].as_ref().unwrap().text("plate"), Some("B"));
}

#[test]
fn ndjson_values_of_any_json_type_are_text() {
    let file = "{\"plate\":\"辽A1\",\"opacity\":0.5,\"result\":null}\n\n[1]\n{\"车牌号\":\"辽A2\"}\n";
    let read = rows(file.as_bytes(), Format::Ndjson).unwrap();
    let first = read[0].as_ref().unwrap();
    assert_eq!((first.row, first.text("opacity"), first.text("result")), (1, Some("0.5"), None));
    assert_eq!(read[1].as_ref().unwrap_err().row, Some(3));
    assert_eq!(read[2].as_ref().unwrap().text("plate"), Some("辽A2"));
}

#[test]
fn content_types_choose_the_format_and_charset() {
    assert_eq!(
        Format::from_content_type(Some("text/csv; charset=GBK")).unwrap(),
        (Format::Csv, Some(encoding_rs::GBK))
    );
    assert_eq!(Format::from_content_type(Some("application/x-ndjson")).unwrap(), (Format::Ndjson, None));
    assert!(matches!(Format::from_content_type(Some("application/json")), Err(ApiError::UnsupportedMediaType(_))));
}
