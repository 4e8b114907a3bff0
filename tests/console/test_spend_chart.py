"""The spend chart's geometry: bars in proportion on a round scale, labels that fit."""

from studio.console.spend_chart import LABEL_WIDTH, spend_chart
from studio.console.spend_selectors import SpendRow


def row(label, net):
    return SpendRow(key=label, label=label, charged=net)


def test_it_draws_bars_in_proportion_on_a_scale_ending_at_a_round_number():
    chart = spend_chart([row("Globex", 1160), row("Acme", 290)])
    assert [tick.value for tick in chart.ticks] == [0, 500, 1000, 1500]
    globex, acme = chart.bars
    assert round(globex.width / acme.width, 2) == 4.0
    assert chart.ticks[-1].x - LABEL_WIDTH >= globex.width and acme.y > globex.y


def test_it_shortens_long_labels_and_keeps_them_whole_in_the_tooltip():
    name = "上海女装旗舰店 · Shanghai womenswear flagship store"
    bar = spend_chart([row(name, 10)]).bars[0]
    assert bar.label.endswith("…") and len(bar.label) < len(name) and bar.title == name
    assert spend_chart([row("Acme", 10)]).bars[0].label == "Acme"


def test_it_draws_nothing_odd_when_nothing_was_spent():
    chart = spend_chart([row("Acme", 0)])
    assert chart.bars[0].width == 0 and [tick.value for tick in chart.ticks] == [0]
