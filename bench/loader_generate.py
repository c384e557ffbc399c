"""Generate a realistic DistroKid bank-details snapshot at scale (tracks × stores × countries × months).

    .venv/bin/python bench/loader_generate.py --rows 1000000 --out /tmp/bench_lake

Writes `<out>/a/4_curated/dk_bank_details.csv` (the snapshot), `<out>/b/4_curated/dk_bank_details.csv`
(a newer snapshot: the same history with 1 % of the rows different: 0.5 % revised, 0.5 % new lines with a later
Reporting Date) and `<out>/c/…` (b with every Earnings value written another way: same values, no record
byte-identical, so the loader's raw-fingerprint shortcut never applies). Values follow the real export: the 17 DK stores, ISRC/UPC text, earnings with up to 8 decimals
(some negative Spotify adjustments, some in exponent form), Country of Sale empty for Namibia.
"""

import argparse
import csv
import datetime as dt
import random
from pathlib import Path

HEADER = [
    "Reporting Date",
    "Sale Month",
    "Store",
    "Artist",
    "Title",
    "ISRC",
    "UPC",
    "Quantity",
    "Team Percentage",
    "Song/Album",
    "Country of Sale",
    "Songwriter Royalties Withheld",
    "Earnings (USD)",
]
STORES = [
    "Spotify",
    "Apple Music",
    "iTunes Songs",
    "iTunes Match",
    "YouTube (Ads)",
    "YouTube (Red)",
    "YouTube (Audio)",
    "Amazon Unlimited (Streaming)",
    "Amazon Prime (Streaming)",
    "Tidal",
    "Deezer",
    "Pandora",
    "TikTok",
    "Facebook",
    "NetEase",
    "Flo",
    "Luna",
]
COUNTRIES = [
    "US",
    "GB",
    "CA",
    "DE",
    "FR",
    "AU",
    "BR",
    "MX",
    "NL",
    "SE",
    "NO",
    "PL",
    "ES",
    "IT",
    "JP",
    "KR",
    "IN",
    "ID",
    "PH",
    "TR",
    "AR",
    "CL",
    "CO",
    "PE",
    "ZA",
    "NG",
    "EG",
    "",
    "OU",
    "IE",
    "NZ",
    "AT",
    "CH",
    "BE",
    "DK",
    "FI",
    "PT",
    "CZ",
    "HU",
    "RO",
    "GR",
    "UA",
    "IL",
    "SA",
    "AE",
    "SG",
    "MY",
    "TH",
    "VN",
    "TW",
]


def catalog(tracks: int) -> list[tuple[str, str, str, str]]:
    rng = random.Random(7)
    items = []
    for i in range(tracks):
        artist = "PIG1987" if i % 2 else "ZONE A0"
        isrc = f"QZ{'ABCDEFGH'[i % 8]}{rng.randint(10, 99)}25{i:05d}"
        items.append((artist, f"TRACK {i:03d}", isrc, f"{198000000000 + i * 7919:012d}"))
    return items


def rows(count: int, *, seed: int = 1):
    rng = random.Random(seed)
    tracks = catalog(max(8, count // (len(STORES) * len(COUNTRIES) * 24) + 1))
    months = [dt.date(2023 + m // 12, m % 12 + 1, 1) for m in range(24)]
    produced = 0
    for month in months:
        for artist, title, isrc, upc in tracks:
            for store in STORES:
                for country in COUNTRIES:
                    if produced >= count:
                        return
                    reported = month + dt.timedelta(days=45 + rng.randint(0, 120))
                    quantity = rng.randint(0, 5000)
                    earnings = quantity * rng.uniform(0.0001, 0.005)
                    if store == "Spotify" and rng.random() < 0.1:
                        earnings = -earnings
                    text = f"{earnings:.8f}" if rng.random() > 0.05 else f"{earnings:.6e}"
                    yield [
                        reported.isoformat(),
                        month.strftime("%Y-%m"),
                        store,
                        artist,
                        title,
                        isrc,
                        upc,
                        str(quantity),
                        "100",
                        "Song",
                        country,
                        "0",
                        text,
                    ]
                    produced += 1


def write(path: Path, data) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADER)
        n = 0
        for row in data:
            writer.writerow(row)
            n += 1
    return n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    base = list(rows(args.rows))
    write(args.out / "a" / "4_curated" / "dk_bank_details.csv", base)
    rng = random.Random(99)
    newer = [list(r) for r in base]
    revised = rng.sample(range(len(newer)), len(newer) // 200)
    for i in revised:
        newer[i][12] = f"{float(newer[i][12]) + 0.01:.8f}"
    later = (dt.date.fromisoformat(max(r[0] for r in base)) + dt.timedelta(days=3)).isoformat()
    newer += [[later, *newer[i][1:12], "0.12345678"] for i in rng.sample(range(len(base)), len(base) // 200)]
    write(args.out / "b" / "4_curated" / "dk_bank_details.csv", newer)
    # the same snapshot as b with every Earnings written differently (a trailing zero): no record is byte-identical
    reformatted = ([*r[:12], r[12] + "0" if "e" not in r[12] else r[12].replace("e", "0e", 1)] for r in newer)
    write(args.out / "c" / "4_curated" / "dk_bank_details.csv", reformatted)
    print(
        f"wrote {len(base)} rows (a), {len(newer)} rows (b, {len(revised)} revised, {len(base) // 200} new) "
        "and c (b with every record reformatted)"
    )


if __name__ == "__main__":
    main()
