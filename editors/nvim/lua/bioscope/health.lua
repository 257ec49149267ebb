-- :checkhealth bioscope: the server binary, the ONNX Runtime library, the colours, and (when a
-- server runs) whether its model and lexicon loaded and where corrections are kept.
local M = {}
local present = require('bioscope').present

local function check_binary(cmd)
  if type(cmd) ~= 'table' or not cmd[1] then
    vim.health.warn('the bioscope config has a function as cmd; the binary cannot be checked')
    return
  end
  local path = vim.fn.exepath(cmd[1])
  if path == '' then
    vim.health.error(
      ('server binary `%s` not found'):format(cmd[1]),
      { 'build it with `cargo build --release -p bioscope-cli` and put target/release on PATH, or set cmd in require("bioscope").setup()' }
    )
    return
  end
  local version = vim.system({ path, '--version' }, { text = true }):wait(5000)
  if version.code == 0 then
    vim.health.ok(('server binary: %s (%s)'):format(path, vim.trim(version.stdout)))
  else
    vim.health.error(('server binary %s does not run: %s'):format(path, version.stderr or ''))
  end
end

local function check_onnxruntime(config)
  local from_config = config.cmd_env and config.cmd_env.ORT_DYLIB_PATH
  local library = from_config or vim.env.ORT_DYLIB_PATH
  if not library or library == '' then
    vim.health.warn('ORT_DYLIB_PATH is not set: without ONNX Runtime the server shows only lexicon names', {
      '`bash .ci/setup` in the BioScope repository fetches it and prints the variable to export',
    })
  elseif vim.uv.fs_stat(library) then
    vim.health.ok('ONNX Runtime library: ' .. library)
  else
    vim.health.error('ORT_DYLIB_PATH names a missing file: ' .. library)
  end
end

--- Where code actions store decisions, and whether that folder can be written.
local function check_corrections(s)
  if not present(s.correctionsPath) then
    vim.health.error('corrections cannot be stored: ' .. s.correctionsWhere, {
      'open a folder, or set settings.correctionsPath to an absolute path in require("bioscope").setup()',
    })
    return
  end
  -- The nearest folder that exists must be writable (the server creates the rest).
  local folder = vim.fs.dirname(s.correctionsPath)
  while folder and not vim.uv.fs_stat(folder) do
    local parent = vim.fs.dirname(folder)
    folder = parent ~= folder and parent or nil
  end
  if folder and vim.fn.filewritable(folder) == 2 then
    vim.health.ok(('corrections (%d) kept in %s'):format(s.corrections, s.correctionsWhere))
  else
    vim.health.error(('corrections cannot be written: %s is not writable'):format(folder or s.correctionsPath), {
      'set settings.correctionsPath to a writable absolute path in require("bioscope").setup()',
    })
  end
end

--- Colours: true colour, or the 256-colour palette without 'termguicolors'.
local function check_colours()
  if vim.o.termguicolors then
    vim.health.ok("colours: true colour ('termguicolors' is on)")
  else
    vim.health.info("colours: the 256-colour palette ('termguicolors' is off; set it for the exact colours)")
  end
end

local function check_server()
  local clients = vim.lsp.get_clients({ name = 'bioscope' })
  if #clients == 0 then
    vim.health.info('no BioScope server is running: open a Markdown, LaTeX or text file, then run :checkhealth bioscope again to check the model')
    return
  end
  local response = clients[1]:request_sync('workspace/executeCommand', { command = 'bioscope.status', arguments = { vim.empty_dict() } }, 10000)
  local s = response and response.result
  if not s then
    vim.health.error('the server did not answer bioscope.status: ' .. vim.inspect(response and response.err))
    return
  end
  if present(s.problem) then
    vim.health.error('model not loaded: ' .. s.problem)
  else
    vim.health.ok(('model loaded: %s (%s)'):format(s.model, s.modelDir))
  end
  if present(s.lexicon) then
    vim.health.ok(('lexicon loaded: %s (%d names)'):format(s.lexicon.path, s.lexicon.names))
  else
    vim.health.warn('lexicon not loaded: ' .. tostring(s.lexiconProblem))
  end
  check_corrections(s)
end

function M.check()
  vim.health.start('BioScope')
  local config = vim.lsp.config.bioscope or {}
  check_binary(config.cmd)
  check_onnxruntime(config)
  check_colours()
  check_server()
end

return M
