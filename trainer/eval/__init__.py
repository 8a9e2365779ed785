"""Scoring an exported model: accuracy, the robustness table, plots and previews."""
