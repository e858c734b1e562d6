"""What podium shows of results outside the terminal: the chart data that the website and the
HTML report share (`charts`), and the offline report itself (`html`)."""

from podium.report.charts import chart_data
from podium.report.html import render_report

__all__ = ["chart_data", "render_report"]
