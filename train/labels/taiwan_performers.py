"""Write taiwan-performers.csv, the labels of the Taiwanese performers' stills, from raters' votes.

The set (Chen, Cho & Tseng 2013, Chinese Journal of Psychology 55(4):439-454; 29 professional
performers, frontal 256x256 photographs) as `lai-wei-cheng/b12207073` holds it at 15327781abf0:
`Taiwanese/faces_256x256/` and `Taiwanese/voting.xls`, the share of raters who chose each of
happy, angry, sad, fear, disgust, surprise and "peace" (calm) for every image. An image's label
is the expression the performer was asked for (the file name's letter, a-g; type-0 names without
a letter are calm), kept only when the raters agree: that label's share is at least 0.5 and no
other choice has more. Calm is neutral. Needs `xlrd` (not a project dependency):

    git --git-dir=MIRROR show 15327781abf0:Taiwanese/voting.xls > /tmp/voting.xls
    python train/labels/taiwan_performers.py /tmp/voting.xls > train/labels/taiwan-performers.csv
"""

import csv
import re
import sys

import xlrd

LETTERS = {"a": "peace", "b": "happy", "c": "sad", "d": "angry", "e": "disgust", "f": "fear",
           "g": "surprise"}  # fmt: skip
LABELS = {"peace": "neutral", "happy": "happiness", "sad": "sadness", "angry": "anger",
          "fear": "fear", "disgust": "disgust", "surprise": "surprise"}  # fmt: skip
NAME = re.compile(r"^(\d\d)(\d)(\d)([a-g]?)\d+\.tif$")  # performer, type, view, letter, serial
MIN_SHARE = 0.5


def main(path: str) -> None:
    sheet = xlrd.open_workbook(path).sheet_by_index(0)
    header = [str(c.value) for c in sheet.row(0)]
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["file", "label", "subject", "share", "type"])
    for r in range(1, sheet.nrows):
        row = dict(zip(header, (c.value for c in sheet.row(r)), strict=True))
        match = NAME.match(row["Photo"])
        if not match:
            raise SystemExit(f"unexpected name {row['Photo']!r}")
        performer, kind, _, letter = match.groups()
        asked = LETTERS[letter] if letter else "peace"
        share = float(row[asked])
        if share >= MIN_SHARE and share == max(float(row[k]) for k in LABELS):
            file = row["Photo"][: -len(".tif")] + ".jpg"
            out.writerow([file, LABELS[asked], f"tw-{performer}", f"{share:.2f}", kind])


if __name__ == "__main__":
    main(sys.argv[1])
