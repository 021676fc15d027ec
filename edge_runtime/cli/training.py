"""Training-side commands (`[train]` extra, imported only when called): `synth`, `train`,
`label`, `sheets`, `score`, `evaluate`, `convert`."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from edge_runtime.cli.app import app, handle_errors, train_module
from edge_runtime.errors import InputError

# --------------------------------------------------------------------------- training side


class CalmPolicy(str, Enum):
    drop = "drop"
    neutral = "neutral"


class Architecture(str, Enum):
    bilstm = "bilstm"
    pool = "pool"


@app.command()
@handle_errors
def synth(
    out_dir: Annotated[Path, typer.Argument(help="Folder for the generated RAVDESS-format CSVs.")],
    actors: Annotated[int, typer.Option(min=2, max=99)] = 24,
    seed: Annotated[int, typer.Option()] = 0,
    repetitions: Annotated[
        int, typer.Option(min=1, max=9, help="Repetitions per statement, emotion and intensity.")
    ] = 2,
) -> None:
    """Generate synthetic FACS-prototype landmark clips (for tests and demos, not real faces)."""
    synth_mod = train_module("train.synth")
    n = synth_mod.write_dataset(out_dir, actors=actors, seed=seed, repetitions=repetitions)
    typer.echo(
        f"{out_dir}: {n} synthetic clips from {actors} actors (SYNTHETIC data, not real faces)"
    )


@app.command()
@handle_errors
def train(
    data_dir: Annotated[
        Path, typer.Argument(help="RAVDESS landmark CSVs, or CSVs with a labels.csv.")
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to write model.keras (+ .json).")
    ] = Path("model.keras"),
    calm: Annotated[
        CalmPolicy, typer.Option(help="RAVDESS 'calm': drop it (default) or count it as neutral.")
    ] = CalmPolicy.drop,
    epochs: Annotated[int, typer.Option(min=1)] = 40,
    patience: Annotated[
        int,
        typer.Option(
            min=1,
            help="Stop after this many epochs without a better validation score (the best "
            "epoch's weights are kept); as many as --epochs trains them all.",
        ),
    ] = 6,
    average_epochs: Annotated[
        int,
        typer.Option(
            min=0,
            help="Keep the mean of the last N epochs' weights (weight averaging, as SWA) "
            "instead of the best epoch's; 0: the best epoch. Measured worse on validation "
            "people (README, levers).",
        ),
    ] = 0,
    seed: Annotated[int, typer.Option()] = 42,
    val_subjects: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated subjects (or patterns such as 'fer-PublicTest-*') for "
            "validation (default: every 5th from the 5th)."
        ),
    ] = None,
    test_subjects: Annotated[
        str | None,
        typer.Option(
            help="Subjects or patterns held out for the final test (default: every 5th from the 3rd)."
        ),
    ] = None,
    roll: Annotated[
        bool, typer.Option(help="Normalise head roll: rotate each frame so the eyes are level.")
    ] = False,
    frontalise: Annotated[
        bool,
        typer.Option(
            help="Remove head yaw and pitch too (and roll): fit a 3-D mean face's pose to each "
            "frame and view the face from the front. Recorded in the metadata. Measured "
            "worse on validation people (README, levers)."
        ),
    ] = False,
    clip_std: Annotated[
        float | None,
        typer.Option(
            min=1.0,
            help="Clip standardised features to +-N std (tracker glitches; a finer int8 input "
            "scale). Recorded in the metadata.",
        ),
    ] = None,
    augment: Annotated[
        bool,
        typer.Option(help="Tracker-like augmentation: jitter, roll, scale, dropped frames."),
    ] = True,
    talk: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Share of windows that also get speech-like mouth motion and blinks. "
            "Measured worse on validation people (README, levers).",
        ),
    ] = 0.0,
    mirror: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Share of training windows reflected left-right (a mirrored person). "
            "Measured worse on validation people (README, levers).",
        ),
    ] = 0.0,
    real_talk: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Share of held still images that get the motion of real relaxed talking "
            "from the training video (against smiles while talking read neutral). Measured "
            "worse on validation people (README, levers).",
        ),
    ] = 0.0,
    identity: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Share of training windows that get another person's resting shape (a "
            "neutral still's deviation from the mean; against resting faces read as "
            "expressions). Measured worse on validation people (README, levers).",
        ),
    ] = 0.0,
    align_stills: Annotated[
        bool,
        typer.Option(
            "--align-stills",
            help="Move every still image by the training data's own offset from neutral "
            "stills to calm video faces (closed mouths), so stills and video share one face "
            "shape. Measured worse on validation people (README, levers).",
        ),
    ] = False,
    clips_per_epoch: Annotated[
        int,
        typer.Option(
            min=0, help="Train each epoch on a random sample of this many clips (0 = all)."
        ),
    ] = 0,
    crops_per_clip: Annotated[
        int, typer.Option(min=1, help="Random windows per clip and epoch.")
    ] = 2,
    video_windows: Annotated[
        int,
        typer.Option(
            min=0,
            help="Also this many windows per epoch from the video clips (not stills), so a "
            "few minutes of video count beside thousands of images.",
        ),
    ] = 0,
    min_teacher_confidence: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Leave out teacher-labelled windows whose mean top probability is lower "
            "(an unsure teacher; 0 = keep all, weighted by that probability).",
        ),
    ] = 0.0,
    teacher_mix: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Distillation on human-labelled clips too: their target is (1 - this) x the "
            "label + this x the teacher's probabilities, where the teacher saw them (0 = off). "
            "Measured worse on validation people (README, levers).",
        ),
    ] = 0.0,
    unsure_neutral: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Teacher-labelled windows below --min-teacher-confidence are taught (1 - "
            "this) x the teacher's view + this x neutral, at that weight, instead of being "
            "left out (talking with no clear expression; 0 = off). Measured: under its "
            "margin on validation people (README, levers).",
        ),
    ] = 0.0,
    batch_size: Annotated[int, typer.Option(min=1)] = 32,
    window: Annotated[
        int,
        typer.Option(
            min=30,
            max=300,
            help="Frames a window spans at 30 fps (90 = 3 s, the founding notes; 30 = 1 s "
            "follows changes of expression closer). Recorded in the metadata.",
        ),
    ] = 90,
    hop: Annotated[
        int,
        typer.Option(
            min=1,
            help="At inference, a window starts every this many frames (at most the window; "
            "15 with --window 30: each second also averages the two windows half over it). "
            "Recorded in the metadata.",
        ),
    ] = 30,
    stride: Annotated[
        int,
        typer.Option(
            min=1,
            max=6,
            help="Temporal stride of the second convolution: 3 gives the BiLSTM 10 steps a "
            "second instead of 30 (faster, and full int8 rounds fewer steps).",
        ),
    ] = 1,
    class_balance: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Weigh samples by (1/class frequency) ** this (0 = off, 1 = equal).",
        ),
    ] = 1.0,
    arch: Annotated[
        Architecture,
        typer.Option(
            help="bilstm: Conv1D + BiLSTM (the founding notes); pool: the window's mean shape "
            "into a small MLP (ignores motion; measured worse on validation people, README "
            "levers). Recorded in the metadata."
        ),
    ] = Architecture.bilstm,
    ensemble: Annotated[
        int,
        typer.Option(
            min=1,
            max=8,
            help="Train this many networks (seeds --seed, --seed+1, ...) and average them in "
            "one model: steadier than any one seed, N times the size and time.",
        ),
    ] = 1,
    folds: Annotated[
        int, typer.Option(min=0, help="k-fold by subject (report only; 0 = hold-out).")
    ] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """Train the emotion classifier (Conv1D+BiLSTM by default) with a subject-independent split.

    Learns from human labels and from a teacher's soft labels (`edge-emo label`) alike.
    """
    trainer = train_module("train.trainer")
    config_module = train_module("train.config")
    augment_module = train_module("train.augment")
    from edge_runtime.features.normalise import NormalisationSpec
    from edge_runtime.features.pose import POSE_METHOD

    config = config_module.TrainConfig(
        augment=augment_module.AugmentOptions(
            talk_prob=talk, mirror_prob=mirror, real_talk_prob=real_talk, identity_prob=identity
        )
        if augment
        else augment_module.NO_AUGMENT,
        clips_per_epoch=clips_per_epoch,
        crops_per_clip=crops_per_clip,
        batch_size=batch_size,
        class_balance=class_balance,
        conv2_stride=stride,
        window=window,
        hop=hop,
        video_windows=video_windows,
        min_teacher_confidence=min_teacher_confidence,
        teacher_mix=teacher_mix,
        unsure_neutral=unsure_neutral,
        patience=patience,
        average_epochs=average_epochs,
        arch=arch.value,
        ensemble=ensemble,
        align_stills=align_stills,
    )
    trainer.train_command(
        data_dir,
        output,
        calm=calm.value,
        epochs=epochs,
        seed=seed,
        val_subjects=val_subjects,
        test_subjects=test_subjects,
        folds=folds,
        quiet=quiet,
        config=config,
        spec=NormalisationSpec(roll=roll, clip=clip_std, pose=POSE_METHOD if frontalise else None),
    )


@app.command()
@handle_errors
def label(
    videos: Annotated[list[Path], typer.Argument(help="Real face videos, or folders of them.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Training-data folder to write or extend.")
    ],
    teacher: Annotated[
        Path | None,
        typer.Option(
            help="Image emotion teacher (.tflite/.onnx with a .json config beside it; "
            "default: the bundled FER2013 mini-Xception)."
        ),
    ] = None,
    subject: Annotated[
        str | None,
        typer.Option(help="The person in these videos (default: each video is its own person)."),
    ] = None,
    people: Annotated[
        Path | None,
        typer.Option(
            help="CSV video,subject,label: label only the videos it lists (paths ending "
            "so), each with its person and an optional human label that wins over the teacher.",
        ),
    ] = None,
    source: Annotated[
        str | None,
        typer.Option(
            help="JSON object: where these videos come from (repository, commit, path, licence, "
            "people, ...); recorded in sources.json and in every model trained on the folder.",
        ),
    ] = None,
) -> None:
    """Label real face video with a frame-level teacher: landmark CSVs + soft labels for `train`."""
    import json

    labeller = train_module("train.label")
    record = None
    if source is not None:
        try:
            record = json.loads(source)
        except ValueError as exc:
            raise InputError(f"--source: not JSON ({exc})") from None
        if not isinstance(record, dict):
            raise InputError("--source: expected a JSON object")
    labeller.label_command(
        videos, output, teacher_path=teacher, subject=subject, people=people, source=record
    )


@app.command()
@handle_errors
def sheets(
    videos: Annotated[list[Path], typer.Argument(help="Videos, or folders of them.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Folder for the sheets and seconds.csv.")
    ],
    every: Annotated[
        int, typer.Option(min=1, help="Every Nth second (0, N, 2N, ...): long videos.")
    ] = 1,
    rows: Annotated[int, typer.Option(min=1, help="Seconds per sheet.")] = 5,
) -> None:
    """Contact sheets for labelling seconds by eye: three face crops a second, and a
    seconds.csv to fill in (`edge-emo score --seconds` scores it)."""
    sheets_mod = train_module("train.sheets")
    options = sheets_mod.SheetOptions(every=every, rows_per_page=rows)
    sheets_mod.sheets_command(videos, output, options)


@app.command()
@handle_errors
def score(
    timelines: Annotated[
        Path, typer.Argument(help="Folder of <video>.emotions.json written by `edge-emo run`.")
    ],
    labelled: Annotated[
        Path,
        typer.Argument(help="Folder `edge-emo label` wrote for the same videos (the teacher)."),
    ],
    seconds: Annotated[
        Path | None,
        typer.Option(help="A person's labels: seconds.csv (`edge-emo sheets` writes one)."),
    ] = None,
    min_teacher: Annotated[
        float,
        typer.Option(min=0.0, max=1.0, help="Teacher seconds count from this mean top up."),
    ] = 0.6,
    videos: Annotated[
        str | None,
        typer.Option(help="Only these videos: comma-separated shell-style patterns ('eamm-*')."),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Report folder: JSON and a confusion-matrix PNG."),
    ] = None,
    model_name: Annotated[str, typer.Option(help="The model's name on the plot.")] = "model",
) -> None:
    """Score `edge-emo run` timelines per second: agreement with the teacher, and accuracy
    and per-class F1 on a person's labels, each with a 95% interval over videos."""
    heldout = train_module("train.heldout")
    only = [p for p in videos.split(",") if p] if videos else None
    report = heldout.score(timelines, labelled, seconds, min_teacher, only)
    if output is not None:
        heldout.write_report(report, output, model_name)
    typer.echo("\n".join(heldout.summary_lines(report)))


@app.command()
@handle_errors
def evaluate(
    model: Annotated[Path, typer.Argument(help="A model.keras or .tflite with its sidecar.")],
    data_dir: Annotated[Path, typer.Argument(help="Labelled landmark CSVs.")],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Report folder (default: <model>-report/)."),
    ] = None,
    calm: Annotated[CalmPolicy, typer.Option()] = CalmPolicy.drop,
    subjects: Annotated[
        str | None,
        typer.Option(
            help="Evaluate only these subjects (default: the model's validation subjects, if recorded)."
        ),
    ] = None,
) -> None:
    """Accuracy, macro-F1, per-class figures and a confusion matrix on labelled CSVs."""
    evaluator = train_module("train.evaluate")
    evaluator.evaluate_command(model, data_dir, output, calm=calm.value, subjects=subjects)


class Quant(str, Enum):
    int8 = "int8"
    dynamic = "dynamic"
    fp16 = "fp16"
    float32 = "float32"


@app.command()
@handle_errors
def convert(
    model: Annotated[Path, typer.Argument(help="A trained model.keras with its .json sidecar.")],
    data: Annotated[
        Path,
        typer.Option(
            "--data", "-d", help="The training CSVs: representative windows come from here."
        ),
    ],
    quant: Annotated[Quant, typer.Option(help="Quantisation.")] = Quant.int8,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Output .tflite (default: beside the model)."),
    ] = None,
    min_agreement: Annotated[
        float, typer.Option(help="Gate: top-1 agreement with the float model, in %.")
    ] = 97.0,
    max_drop: Annotated[
        float, typer.Option(help="Gate: largest accuracy drop allowed, in points.")
    ] = 1.5,
    calm: Annotated[CalmPolicy, typer.Option()] = CalmPolicy.drop,
    class_prior: Annotated[
        list[str] | None,
        typer.Option(
            help="LABEL=WEIGHT, repeatable: multiply that class's probability in every window "
            "(a prior-shift correction, e.g. neutral=1.5), recorded in the sidecar."
        ),
    ] = None,
    reject_below: Annotated[
        float | None,
        typer.Option(
            help="A reject option: each second whose most probable class has a probability "
            "below this, and is not --reject-to, reads --reject-to (its probabilities are "
            "kept), recorded in the sidecar. The default model uses 0.4 (README, levers).",
        ),
    ] = None,
    reject_to: Annotated[
        str, typer.Option(help="The class an unsure second reads (with --reject-below).")
    ] = "neutral",
    baseline: Annotated[
        bool,
        typer.Option(
            help="Name a per-person running baseline in the sidecar: the runtime moves each "
            "face's resting shape (median of its last 60 s) onto the training mean. Measured "
            "worse on validation people (README, levers); off by default."
        ),
    ] = False,
) -> None:
    """Convert a Keras model to TFLite (int8 by default) behind op, agreement and accuracy gates."""
    converter = train_module("convert.converter")
    converter.convert_command(
        model,
        data,
        quant=quant.value,
        output=output,
        min_agreement=min_agreement,
        max_drop=max_drop,
        calm=calm.value,
        class_prior=class_prior,
        reject_below=reject_below,
        reject_to=reject_to,
        baseline=baseline,
    )
