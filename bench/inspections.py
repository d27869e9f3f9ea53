#!/usr/bin/env python3
"""Writes realistic diesel-vehicle inspection rows as CSV, the way station and remote-sensing software
export them: Chinese plates (mostly 辽A/辽B), yellow plates on trucks, valid VINs, China III–VI stages,
free-acceleration, lug-down, Ringelmann, remote-sensing and OBD tests with values that pass about 97.7 %
of the time, positions over central Shenyang, times over 2025 in city time.

    python3 bench/inspections.py ROWS > inspections.csv      (deterministic: the same ROWS, the same file)
"""

import random
import sys

PROVINCE_WEIGHTS = [("辽", 90), ("吉", 4), ("黑", 3), ("蒙", 2), ("冀", 1)]
LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I or O on plates
VIN_CHARS = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"  # no I, O or Q
VIN_VALUES = {c: v for c, v in zip("0123456789", range(10))}
VIN_VALUES.update({c: v for c, v in zip("ABCDEFGH", range(1, 9))})
VIN_VALUES.update({c: v for c, v in zip("JKLMN", range(1, 6))})
VIN_VALUES.update({"P": 7, "R": 9})
VIN_VALUES.update({c: v for c, v in zip("STUVWXYZ", range(2, 10))})
WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2]
STAGES = [("国三", 10), ("国四", 25), ("国五", 40), ("国六a", 15), ("国六b", 10)]
STATIONS = ["沈阳市机动车检测一站", "沈阳市机动车检测二站", "于洪区排放检测站", "浑南遥感监测点", "铁西遥感监测点"]
METHODS = [("自由加速法", 45), ("加载减速法", 25), ("林格曼黑度法", 5), ("遥感检测", 20), ("OBD检查", 5)]
HEADER = ("流水号,检测站,检测时间,号牌号码,号牌颜色,车辆识别代号,车辆类型,燃料类型,排放阶段,检测方法,限值类别,"
          "光吸收系数,氮氧化物,林格曼黑度,不透光度,一氧化氮,故障码,就绪状态,检测结果,经度,纬度")


def weighted(rng, pairs):
    return rng.choices([v for v, _ in pairs], weights=[w for _, w in pairs])[0]


def vin(rng):
    body = [rng.choice(VIN_CHARS) for _ in range(17)]
    total = sum(VIN_VALUES[c] * w for c, w in zip(body, WEIGHTS))
    body[8] = "X" if total % 11 == 10 else str(total % 11)
    return "".join(body)


def plate(rng):
    return weighted(rng, PROVINCE_WEIGHTS) + rng.choice("AB" * 8 + LETTERS) + "".join(
        rng.choice("0123456789" * 3 + LETTERS) for _ in range(5))


def measured(rng, method, fails):
    """The value columns of a test: within the limits, or over one when the test fails."""
    k = nox = ring = opacity = no = codes = ready = ""
    if method == "自由加速法":
        k = round(rng.uniform(1.25, 2.5) if fails else rng.uniform(0.05, 1.2), 2)
    elif method == "加载减速法":
        k = round(rng.uniform(0.05, 1.1), 2)
        nox = round(rng.uniform(1510, 2500) if fails else rng.uniform(80, 1500))
    elif method == "林格曼黑度法":
        ring = 2 if fails else rng.choice([0, 1])
    elif method == "遥感检测":
        opacity = round(rng.uniform(31, 60) if fails else rng.uniform(0, 30), 1)
        no = round(rng.uniform(100, 1400))
    else:
        codes = "P0401" if fails else ""
        ready = "1"
    return k, nox, ring, opacity, no, codes, ready


def main():
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    rng = random.Random(20261203)
    out = sys.stdout
    out.write(HEADER + "\n")
    for i in range(rows):
        method = weighted(rng, METHODS)
        fails = rng.random() < 0.0228
        k, nox, ring, opacity, no, codes, ready = measured(rng, method, fails)
        day, second = rng.randrange(365), rng.randrange(8 * 3600, 18 * 3600)
        month_days = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        month = 0
        while day >= month_days[month]:
            day -= month_days[month]
            month += 1
        when = f"2025-{month + 1:02d}-{day + 1:02d} {second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}"
        result = "不合格" if fails else "合格"
        lon, lat = 123.33 + rng.random() * 0.15, 41.75 + rng.random() * 0.10
        out.write(",".join(str(v) for v in [
            f"JC2026{i:08d}", rng.choice(STATIONS), when, plate(rng), "黄", vin(rng), "重型货车", "柴油",
            weighted(rng, STAGES), method, "a", k, nox, ring, opacity, no, codes, ready, result,
            f"{lon:.6f}", f"{lat:.6f}"]) + "\n")


if __name__ == "__main__":
    main()
