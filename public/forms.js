// Small progressive enhancements of the panel's forms; every form also works without them.

// Shows only the fieldsets of the chosen destination kind and engine.
function syncFieldsets() {
  const kind = document.querySelector('[data-kind-select]')
  if (kind) {
    for (const fieldset of document.querySelectorAll('fieldset[data-kind]')) {
      fieldset.hidden = fieldset.dataset.kind !== kind.value
    }
  }
  const engine = document.querySelector('select[name="engineId"]')
  if (engine) {
    for (const fieldset of document.querySelectorAll('fieldset[data-engine]')) {
      fieldset.hidden = fieldset.dataset.engine !== engine.value
      for (const input of fieldset.querySelectorAll('input, select, textarea')) {
        input.disabled = fieldset.hidden
      }
    }
  }
}

document.addEventListener('change', syncFieldsets)
document.addEventListener('DOMContentLoaded', syncFieldsets)
