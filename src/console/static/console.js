// #14: the console's little client script: tag insertion, live template checks and preview,
// the charts (uPlot), and a refresh while an alert is being sent. Everything else is plain HTML forms.
(function () {
  'use strict';
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || '';
  function data(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  // ---- Templates: insert a tag at the cursor, check and preview as you type ----
  var form = document.getElementById('template-form');
  if (form) {
    var body = document.getElementById('t-body');
    var subject = document.getElementById('t-subject');
    var live = document.getElementById('t-live');
    var preview = document.getElementById('t-preview');
    var appointment = document.getElementById('t-appointment');
    var words = data('template-words');
    var lastFocused = body;
    [body, subject].forEach(function (el) {
      if (el) el.addEventListener('focus', function () { lastFocused = el; });
    });
    document.querySelectorAll('.insert-tag').forEach(function (button) {
      button.addEventListener('click', function () {
        var el = lastFocused || body;
        var start = el.selectionStart || 0;
        var end = el.selectionEnd || 0;
        el.value = el.value.slice(0, start) + button.dataset.tag + el.value.slice(end);
        el.focus();
        el.selectionStart = el.selectionEnd = start + button.dataset.tag.length;
        schedule();
      });
    });
    var timer = null;
    function schedule() {
      clearTimeout(timer);
      timer = setTimeout(check, 300);
    }
    function text(tag, content, cls) {
      var el = document.createElement(tag);
      el.textContent = content;
      if (cls) el.className = cls;
      return el;
    }
    var sequence = 0;
    function check() {
      var mine = ++sequence;
      var payload = {
        eventKind: form.dataset.event, channel: form.dataset.channel, locale: form.dataset.locale,
        body: body.value, subject: subject ? subject.value : null,
        appointmentId: appointment ? appointment.value : '',
      };
      fetch('/console/templates/check', {
        method: 'POST', credentials: 'same-origin',
        headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
        body: JSON.stringify(payload),
      }).then(function (r) { return r.json(); }).then(function (result) {
        if (mine !== sequence) return; // a later keystroke's answer is on its way
        live.replaceChildren();
        var counts = form.dataset.channel === 'sms'
          ? words.segments + ': ' + result.segments + ' (' + result.encoding + ') · ' + result.credits + ' ' + words.credits
          : result.credits + ' ' + words.credits;
        live.appendChild(text('p', counts, 'counts'));
        if (result.errors.length > 0) {
          var list = document.createElement('ul');
          list.className = 'tag-errors';
          result.errors.forEach(function (e) { list.appendChild(text('li', e.message, 'field-error')); });
          live.appendChild(list);
          body.setAttribute('aria-invalid', 'true');
        } else {
          body.removeAttribute('aria-invalid');
        }
        preview.replaceChildren();
        if (result.preview) {
          if (result.preview.subject) preview.appendChild(text('p', result.preview.subject, 'preview-subject'));
          preview.appendChild(text('pre', result.preview.body, 'preview-body'));
        } else if (result.previewError) {
          preview.appendChild(text('p', result.previewError, 'field-error'));
        }
      });
    }
    body.addEventListener('input', schedule);
    if (subject) subject.addEventListener('input', schedule);
    if (appointment) appointment.addEventListener('change', schedule);
    document.getElementById('t-preview-button').addEventListener('click', check);
    check();
  }

  // ---- Charts ----
  function chart(target, title, days, series, height) {
    var el = document.createElement('figure');
    var caption = text('figcaption', title);
    el.appendChild(caption);
    target.appendChild(el);
    var width = Math.max(280, Math.min(target.clientWidth || 600, 900));
    var xs = days.map(function (d) { return Date.parse(d + 'T12:00:00Z') / 1000; });
    /* global uPlot */
    new uPlot({ width: width, height: height || 220, series: [{}].concat(series.map(function (s) { return { label: s.label, stroke: s.color, width: 2, points: { show: true } }; })) },
      [xs].concat(series.map(function (s) { return s.values; })), el);
  }
  function text(tag, content) {
    var el = document.createElement(tag);
    el.textContent = content;
    return el;
  }
  var messageData = data('message-chart-data');
  var messageCharts = document.getElementById('message-charts');
  if (messageData && messageCharts && window.uPlot) {
    var days = messageData.days;
    var colors = { sent: '#1f5fbf', delivered: '#1d7a3a', failed: '#b3261e', skipped: '#6b6b6b' };
    Object.keys(messageData.channels).forEach(function (channel) {
      var rows = messageData.counts.filter(function (c) { return c.channel === channel; });
      if (rows.length === 0) return;
      var series = Object.keys(colors).map(function (outcome) {
        return {
          label: messageData.outcomes[outcome], color: colors[outcome],
          values: days.map(function (d) {
            var row = rows.find(function (c) { return c.day === d && c.outcome === outcome; });
            return row ? row.n : 0;
          }),
        };
      });
      chart(messageCharts, messageData.channels[channel], days, series);
      var table = document.createElement('table');
      table.className = 'sr-only chart-table';
      table.setAttribute('data-channel', channel);
      var head = table.insertRow();
      head.appendChild(text('th', ''));
      series.forEach(function (s) { head.appendChild(text('th', s.label)); });
      days.forEach(function (d, i) {
        var tr = table.insertRow();
        tr.appendChild(text('th', d));
        series.forEach(function (s) { tr.appendChild(text('td', String(s.values[i]))); });
      });
      messageCharts.appendChild(table);
    });
  }
  var creditData = data('credit-chart-data');
  var creditChart = document.getElementById('credit-chart');
  if (creditData && creditChart && window.uPlot && creditData.points.length > 0) {
    var el = document.createElement('figure');
    el.appendChild(text('figcaption', creditData.label));
    creditChart.appendChild(el);
    new uPlot({ width: Math.max(280, Math.min(creditChart.clientWidth || 600, 900)), height: 200, series: [{}, { label: creditData.label, stroke: '#1f5fbf', width: 2, points: { show: true } }] },
      [creditData.points.map(function (p) { return Date.parse(p.at) / 1000; }), creditData.points.map(function (p) { return p.balance; })], el);
  }

  // ---- Alerts: follow the progress while patients are being told ----
  var alerts = document.getElementById('alerts');
  if (alerts && alerts.dataset.refresh) {
    setTimeout(function () { window.location.assign('/console/alerts'); }, Number(alerts.dataset.refresh) * 1000);
  }
})();
