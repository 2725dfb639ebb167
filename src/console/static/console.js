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
        markBody(payload.body, result.errors.filter(function (e) { return e.field === 'body'; }));
        markSubject(payload.subject, result.errors.filter(function (e) { return e.field === 'subject'; }));
        if (result.errors.length > 0) {
          var list = document.createElement('ul');
          list.className = 'tag-errors';
          result.errors.forEach(function (e) { list.appendChild(text('li', e.message, 'field-error')); });
          live.appendChild(list);
        }
        [[body, 'body'], [subject, 'subject']].forEach(function (pair) {
          if (!pair[0]) return;
          var refused = result.errors.some(function (e) { return e.field === pair[1]; });
          if (refused) pair[0].setAttribute('aria-invalid', 'true');
          else pair[0].removeAttribute('aria-invalid');
        });
        preview.replaceChildren();
        if (result.preview) {
          if (result.preview.subject) preview.appendChild(text('p', result.preview.subject, 'preview-subject'));
          preview.appendChild(text('pre', result.preview.body, 'preview-body'));
        } else if (result.previewError) {
          preview.appendChild(text('p', result.previewError, 'field-error'));
        }
      });
    }
    // Refused tags marked in place: a mirror behind the field (text area or subject) holds the
    // same text, with a <mark> on each refused tag (positions from the server's check of exactly
    // that text; typing on clears the marks until the next check).
    function marker(field, mirror) {
      if (!field || !mirror) return function () {};
      function mark(checked, errors) {
        mirror.replaceChildren();
        if (checked !== field.value) return;
        var at = 0;
        errors.slice().sort(function (a, b) { return a.index - b.index; }).forEach(function (e) {
          if (typeof e.index !== 'number' || e.index < at) return;
          mirror.appendChild(document.createTextNode(checked.slice(at, e.index)));
          mirror.appendChild(text('mark', checked.slice(e.index, e.index + e.tag.length), 'bad-tag'));
          at = e.index + e.tag.length;
        });
        mirror.appendChild(document.createTextNode(checked.slice(at) + '\n'));
        mirror.scrollTop = field.scrollTop;
        mirror.scrollLeft = field.scrollLeft;
      }
      field.addEventListener('scroll', function () { mirror.scrollTop = field.scrollTop; mirror.scrollLeft = field.scrollLeft; });
      field.addEventListener('input', function () { if (mirror.querySelector('mark')) mark('', []); });
      return mark;
    }
    var markBody = marker(body, document.getElementById('t-body-mirror'));
    var markSubject = marker(subject, document.getElementById('t-subject-mirror'));
    body.addEventListener('input', schedule);
    if (subject) subject.addEventListener('input', schedule);
    if (appointment) appointment.addEventListener('change', schedule);
    document.getElementById('t-preview-button').addEventListener('click', check);
    check();
  }

  // ---- Sending hours: add and remove a weekday's windows ----
  document.querySelectorAll('.hours .day').forEach(function (day) {
    var windows = day.querySelector('.windows');
    var add = day.querySelector('.add-window');
    var max = Number(day.dataset.max || 4);
    function renumber() {
      var rows = windows.querySelectorAll('.window');
      rows.forEach(function (row, i) {
        row.querySelectorAll('[aria-label]').forEach(function (el) {
          el.setAttribute('aria-label', el.getAttribute('aria-label').replace(/\d+(?=:)/, String(i + 1)));
        });
      });
      add.hidden = rows.length >= max;
    }
    function wire(row) {
      row.querySelector('.remove-window').addEventListener('click', function () {
        var rows = windows.querySelectorAll('.window');
        if (rows.length > 1) {
          var next = row.nextElementSibling || row.previousElementSibling;
          row.remove();
          renumber();
          next.querySelector('input').focus();
        } else {
          row.querySelectorAll('input').forEach(function (input) { input.value = ''; });
          row.querySelector('input').focus();
        }
      });
    }
    windows.querySelectorAll('.window').forEach(wire);
    add.addEventListener('click', function () {
      var rows = windows.querySelectorAll('.window');
      if (rows.length >= max) return;
      var row = rows[rows.length - 1].cloneNode(true);
      row.querySelectorAll('input').forEach(function (input) { input.value = ''; input.removeAttribute('aria-invalid'); });
      windows.appendChild(row);
      wire(row);
      renumber();
      row.querySelector('input').focus();
    });
  });

  // ---- X3: follow the re-planning a saved change started (the fan-out runs after the commit) ----
  var replan = document.getElementById('replan');
  if (replan && replan.dataset.version && replan.dataset.state !== 'done') {
    var pollReplan = function () {
      fetch('/console/replan/' + replan.dataset.version, { credentials: 'same-origin' })
        .then(function (r) { return r.json(); })
        .then(function (p) {
          replan.textContent = p.text;
          replan.dataset.state = p.state;
          if (p.state !== 'done') setTimeout(pollReplan, 1000);
        });
    };
    setTimeout(pollReplan, 500);
  }

  // ---- Charts ----
  // Times on a chart read as in the tables beside it: the console's language (24-hour in
  // Italian), the center's time zone; uPlot's own labels would be American and the browser's zone.
  var intlLocale = document.documentElement.lang === 'en' ? 'en-GB' : 'it-IT';
  function formatter(options) {
    var f = new Intl.DateTimeFormat(intlLocale, options);
    return function (seconds) { return f.format(new Date(seconds * 1000)); };
  }
  /** The x series (its legend entry) and the x axis of a time chart in `timeZone`. */
  function timeX(label, timeZone, legendOptions) {
    var legend = formatter(Object.assign({ timeZone: timeZone }, legendOptions));
    var day = formatter({ day: '2-digit', month: '2-digit', timeZone: timeZone });
    var minute = formatter({ hour: '2-digit', minute: '2-digit', timeZone: timeZone });
    var second = formatter({ hour: '2-digit', minute: '2-digit', second: '2-digit', timeZone: timeZone });
    return {
      series: { label: label, value: function (u, v) { return v == null ? '--' : legend(v); } },
      axis: {
        space: 70,
        values: function (u, splits, axisIdx, space, incr) {
          var f = incr >= 86400 ? day : incr >= 60 ? minute : second;
          return splits.map(function (x) { return x == null ? '' : f(x); });
        },
      },
    };
  }
  // Counts of messages are whole numbers.
  var WHOLE = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000];
  function chart(target, title, days, series, dayLabel) {
    var el = document.createElement('figure');
    var caption = text('figcaption', title);
    el.appendChild(caption);
    target.appendChild(el);
    var width = Math.max(280, Math.min(target.clientWidth || 600, 900));
    // A day is its noon in UTC, so it is labelled in UTC.
    var xs = days.map(function (d) { return Date.parse(d + 'T12:00:00Z') / 1000; });
    var x = timeX(dayLabel, 'UTC', { dateStyle: 'short' });
    /* global uPlot */
    new uPlot({
      width: width, height: 220,
      series: [x.series].concat(series.map(function (s) { return { label: s.label, stroke: s.color, width: 2, points: { show: true } }; })),
      axes: [x.axis, { incrs: WHOLE }],
    }, [xs].concat(series.map(function (s) { return s.values; })), el);
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
      chart(messageCharts, messageData.channels[channel], days, series, messageData.dayLabel);
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
    var when = timeX(creditData.when, creditData.timeZone, { dateStyle: 'short', timeStyle: 'short' });
    new uPlot({
      width: Math.max(280, Math.min(creditChart.clientWidth || 600, 900)), height: 200,
      series: [when.series, { label: creditData.label, stroke: '#1f5fbf', width: 2, points: { show: true } }],
      axes: [when.axis, {}],
    }, [creditData.points.map(function (p) { return Date.parse(p.at) / 1000; }), creditData.points.map(function (p) { return p.balance; })], el);
  }

  // ---- Alerts: follow the progress while patients are being told (B4) ----
  var alertLive = document.getElementById('alert-live');
  if (alertLive && alertLive.dataset.running) {
    var pollAlerts = function () {
      fetch('/console/alerts/progress', { credentials: 'same-origin' })
        .then(function (r) { return r.json(); })
        .then(function (result) {
          result.alerts.forEach(function (a, i) {
            var row = document.querySelector('#alerts tr[data-alert="' + a.id + '"]');
            if (row) {
              var bar = row.querySelector('progress');
              bar.max = Math.max(a.affected, 1);
              bar.value = a.notified;
              row.querySelector('.alert-text').textContent = a.text;
            }
            if (i === 0 && alertLive.textContent !== a.text) alertLive.textContent = a.text;
          });
          if (result.running) setTimeout(pollAlerts, 1000);
          else delete alertLive.dataset.running;
        });
    };
    setTimeout(pollAlerts, 1000);
  }
})();
