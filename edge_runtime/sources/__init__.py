"""Where frames come from: video files (`video`) and live cameras (`camera`), as timestamped frames."""
