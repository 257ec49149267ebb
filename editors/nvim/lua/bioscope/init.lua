-- BioScope for Neovim (0.11+): colours the entities `bioscope lsp` reports as semantic tokens,
-- and wraps its commands (status, next uncertain mention, export, retrain).
--
--   require('bioscope').setup({
--     cmd = { 'bioscope', 'lsp' },          -- the server command
--     settings = { confidenceThreshold = 0.5, enabledTypes = { 'Gene', 'Disease' },
--                  customTypes = { { name = 'Organ', description = 'organs', color = '#ff87af' } } },
--   })
--
-- Paths in setup's settings (correctionsPath, modelPath, lexiconPath) are your own choice, so
-- they go on the server's command line (--corrections, --model, --lexicon) and may point
-- anywhere; a workspace's settings may only point inside the workspace.
--
-- or, with lsp/bioscope.lua on the runtimepath: vim.lsp.enable('bioscope').
local M = {}

-- Token type (from the server's legend) -> highlight group and its default colours: `fg` with
-- 'termguicolors', `ctermfg` (the same colour in the 256-colour palette) without it.
M.groups = {
  gene = { 'BioscopeGene', { fg = '#5fafff', ctermfg = 75, bold = true, cterm = { bold = true } } },
  disease = { 'BioscopeDisease', { fg = '#ff5f5f', ctermfg = 203, bold = true, cterm = { bold = true } } },
  chemical = { 'BioscopeChemical', { fg = '#5fd75f', ctermfg = 77, bold = true, cterm = { bold = true } } },
  species = { 'BioscopeSpecies', { fg = '#d787ff', ctermfg = 177, bold = true, cterm = { bold = true } } },
  cellLine = { 'BioscopeCellLine', { fg = '#ffaf5f', ctermfg = 215, bold = true, cterm = { bold = true } } },
  cellType = { 'BioscopeCellType', { fg = '#5fd7d7', ctermfg = 80, bold = true, cterm = { bold = true } } },
  variant = { 'BioscopeVariant', { fg = '#ffd75f', ctermfg = 221, bold = true, cterm = { bold = true } } },
  -- The lab-report profile (files matching settings.labReportFiles).
  biomarker = { 'BioscopeBiomarker', { fg = '#5fafff', ctermfg = 75 } },
  labValue = { 'BioscopeLabValue', { fg = '#5fd75f', ctermfg = 77, bold = true, cterm = { bold = true } } },
  labUnit = { 'BioscopeLabUnit', { fg = '#d787ff', ctermfg = 177 } },
  -- The slots of your own types (settings.customTypes): the n-th declared type is customTypeN;
  -- a type's `color` recolours its slot.
  customType1 = { 'BioscopeCustomType1', { fg = '#ff87af', ctermfg = 211, bold = true, cterm = { bold = true } } },
  customType2 = { 'BioscopeCustomType2', { fg = '#afd700', ctermfg = 148, bold = true, cterm = { bold = true } } },
  customType3 = { 'BioscopeCustomType3', { fg = '#87afd7', ctermfg = 110, bold = true, cterm = { bold = true } } },
  customType4 = { 'BioscopeCustomType4', { fg = '#d7af87', ctermfg = 180, bold = true, cterm = { bold = true } } },
  customType5 = { 'BioscopeCustomType5', { fg = '#af87d7', ctermfg = 140, bold = true, cterm = { bold = true } } },
  customType6 = { 'BioscopeCustomType6', { fg = '#87d7af', ctermfg = 115, bold = true, cterm = { bold = true } } },
  customType7 = { 'BioscopeCustomType7', { fg = '#d75f87', ctermfg = 168, bold = true, cterm = { bold = true } } },
  customType8 = { 'BioscopeCustomType8', { fg = '#afafaf', ctermfg = 145, bold = true, cterm = { bold = true } } },
}

local modifiers = {
  uncertain = { 'BioscopeUncertain', { undercurl = true, cterm = { undercurl = true } } },
  corrected = { 'BioscopeCorrected', { underline = true, cterm = { underline = true } } },
  abbreviation = { 'BioscopeAbbreviation', { italic = true, cterm = { italic = true } } },
  outOfRange = { 'BioscopeOutOfRange', { fg = '#ffaf5f', ctermfg = 215, bold = true, cterm = { bold = true } } },
  implausible = { 'BioscopeImplausible', { fg = '#ff5f5f', ctermfg = 203, strikethrough = true, cterm = { strikethrough = true } } },
}

-- Settings that name a path -> the server flag that carries the user's own value.
local user_path_flags = {
  correctionsPath = '--corrections',
  modelPath = '--model',
  lexiconPath = '--lexicon',
}

local export_extensions = { pubtator = '.pubtator', bioc = '.bioc.xml', brat = '.ann', conll = '.conll' }

--- Defines the highlight groups; `default = true` lets a colour scheme or the user override them.
function M.define_highlights()
  for token_type, spec in pairs(M.groups) do
    local name, colours = spec[1], spec[2]
    vim.api.nvim_set_hl(0, name, vim.tbl_extend('force', colours, { default = true }))
    vim.api.nvim_set_hl(0, '@lsp.type.' .. token_type, { link = name, default = true })
  end
  for modifier, spec in pairs(modifiers) do
    local name, style = spec[1], spec[2]
    vim.api.nvim_set_hl(0, name, vim.tbl_extend('force', style, { default = true }))
    vim.api.nvim_set_hl(0, '@lsp.mod.' .. modifier, { link = name, default = true })
  end
end

--- Gives the slot of each declared type (settings.customTypes, in order) the type's `color`.
function M.colour_custom_types(custom_types)
  for i, t in ipairs(custom_types or {}) do
    local spec = M.groups['customType' .. i]
    if spec and type(t) == 'table' and type(t.color) == 'string' and t.color:match('^#%x%x%x%x%x%x$') then
      vim.api.nvim_set_hl(0, spec[1], vim.tbl_extend('force', spec[2], { fg = t.color }))
    end
  end
end

--- A JSON value that is neither absent nor null (responses decode null as nil or vim.NIL).
local function present(value)
  return value ~= nil and value ~= vim.NIL
end

local function notify(message, level)
  vim.notify('BioScope: ' .. message, level or vim.log.levels.INFO)
end

--- The BioScope client of the current buffer, else any running one.
local function client()
  local clients = vim.lsp.get_clients({ bufnr = 0, name = 'bioscope' })
  if #clients == 0 then
    clients = vim.lsp.get_clients({ name = 'bioscope' })
  end
  return clients[1]
end

--- The client, or nil after telling the user why there is none.
local function running_client()
  local c = client()
  if not c then
    notify('the server is not running (open a Markdown, LaTeX or text file)', vim.log.levels.WARN)
  end
  return c
end

--- Runs a server command; `on_result(result)` on success, errors are shown.
local function execute(command, argument, on_result)
  local c = running_client()
  if not c then
    return
  end
  c:request('workspace/executeCommand', { command = command, arguments = { argument } }, function(err, result)
    if err then
      notify(command .. ' failed: ' .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
    else
      on_result(result, c)
    end
  end, 0)
end

M.present = present

--- The status the server last announced (`bioscope/status`), for statuslines.
M.activity = nil

function M.on_status(params)
  M.activity = params
  pcall(vim.cmd.redrawstatus)
  vim.api.nvim_exec_autocmds('User', { pattern = 'BioscopeStatus', modeline = false, data = params })
end

--- A statusline component: the model's name and what the server is doing.
function M.statusline()
  local a = M.activity
  if not a then
    return ''
  end
  local text = 'BioScope ' .. (present(a.model) and a.model or 'lexicon only')
  if a.activity and a.activity ~= 'idle' then
    text = text .. ' · ' .. a.activity
    if present(a.percentage) then
      text = text .. ' ' .. a.percentage .. '%'
    end
  end
  return text
end

--- :BioscopeStatus
function M.status()
  execute('bioscope.status', vim.empty_dict(), function(s)
    local lines = {
      'model: ' .. (present(s.model) and s.model or 'none') .. ' (' .. s.modelDir .. ')',
    }
    if present(s.problem) then
      table.insert(lines, 'problem: ' .. s.problem)
    end
    if present(s.lexicon) then
      table.insert(lines, ('lexicon: %s (%d names)'):format(s.lexicon.path, s.lexicon.names))
    elseif present(s.lexiconProblem) then
      table.insert(lines, 'lexicon: ' .. s.lexiconProblem)
    end
    table.insert(lines, ('corrections: %d, kept in %s'):format(s.corrections, s.correctionsWhere))
    table.insert(lines, ('cache: %d paragraphs, %d hits, %d misses; %d open documents'):format(
      s.cache.entries, s.cache.hits, s.cache.misses, s.openDocuments
    ))
    notify(table.concat(lines, '\n'))
  end)
end

--- :BioscopeNextUncertain: jumps to the least confident unreviewed mention after the cursor's.
function M.next_uncertain()
  local c = running_client()
  if not c then
    return
  end
  local here = vim.lsp.util.make_position_params(0, c.offset_encoding)
  local argument = { uri = here.textDocument.uri, position = here.position }
  execute('bioscope.nextUncertain', argument, function(found)
    if not present(found) then
      notify('no uncertain mention left to review')
      return
    end
    vim.lsp.util.show_document({ uri = found.uri, range = found.range }, c.offset_encoding, { focus = true })
    notify(('%s "%s"? confidence %.2f (%d to review; a code action accepts, rejects or retypes it)'):format(
      found.entityType, found.text, found.confidence, found.remaining
    ))
  end)
end

function M.export_formats()
  return vim.tbl_keys(export_extensions)
end

--- The file an export of `source` in `format` goes to by default: beside it, another extension.
function M.export_path(source, format)
  local base = source ~= '' and vim.fn.fnamemodify(source, ':r') or (vim.fn.getcwd() .. '/untitled')
  return base .. export_extensions[format]
end

local function write_file(path, content)
  local f, err = io.open(path, 'wb')
  if not f then
    notify('cannot write ' .. path .. ': ' .. err, vim.log.levels.ERROR)
    return false
  end
  f:write(content)
  f:close()
  return true
end

--- :BioscopeExport [format] [path]: the buffer's entities as PubTator (default), BioC XML,
--- brat standoff (with the text beside it as .txt) or CoNLL.
function M.export(format, path)
  format = format or 'pubtator'
  if not export_extensions[format] then
    notify('unknown format ' .. format .. '; choose ' .. table.concat(M.export_formats(), ', '), vim.log.levels.ERROR)
    return
  end
  local bufnr = vim.api.nvim_get_current_buf()
  path = path or M.export_path(vim.api.nvim_buf_get_name(bufnr), format)
  local argument = { uri = vim.uri_from_bufnr(bufnr), format = format }
  execute('bioscope.exportDocument', argument, function(result)
    if not write_file(path, result.content) then
      return
    end
    if format == 'brat' then
      -- brat reads the text from the .txt beside the .ann.
      local text = table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), '\n') .. '\n'
      write_file(vim.fn.fnamemodify(path, ':r') .. '.txt', text)
    end
    notify('exported ' .. format .. ' to ' .. path)
  end)
end

local corrections_extensions = {
  jsonl = '.jsonl',
  pubtator = '.pubtator',
  bioc = '.bioc.xml',
  brat = '.ann',
  conll = '.conll',
}

--- :BioscopeExportCorrections [format] [path]: the decisions as stored (jsonl, the default) or
--- the corrected paragraphs with their labels (pubtator, bioc, brat with its .txt, conll).
function M.export_corrections(format, path)
  format = format or 'jsonl'
  if not corrections_extensions[format] then
    notify('unknown format ' .. format .. '; choose ' .. table.concat(vim.tbl_keys(corrections_extensions), ', '), vim.log.levels.ERROR)
    return
  end
  path = path or (vim.fn.getcwd() .. '/bioscope-corrections' .. corrections_extensions[format])
  execute('bioscope.exportCorrections', { format = format }, function(result)
    if write_file(path, result.content) and format == 'brat' and present(result.text) then
      write_file(vim.fn.fnamemodify(path, ':r') .. '.txt', result.text)
    end
    notify('exported the corrections (' .. format .. ') to ' .. path)
  end)
end

--- :BioscopeRetrain: fine-tunes the model on the corrections and switches to the new one (the
--- server reports progress; the old model keeps serving if anything fails).
function M.retrain()
  notify('retraining from your corrections...')
  execute('bioscope.retrain', vim.empty_dict(), function(result)
    notify(('now using %s, trained on %d corrections in %.0f s'):format(
      result.model, result.corrections, result.seconds
    ))
  end)
end

local initialized = false

--- Highlights (kept across colour scheme changes) and the user commands; safe to call twice.
function M.init()
  if initialized then
    return
  end
  initialized = true
  M.define_highlights()
  vim.api.nvim_create_autocmd('ColorScheme', {
    group = vim.api.nvim_create_augroup('bioscope_highlights', { clear = true }),
    callback = M.define_highlights,
  })
  local command = vim.api.nvim_create_user_command
  command('BioscopeStatus', M.status, { desc = 'BioScope: model, lexicon, corrections, cache' })
  command('BioscopeNextUncertain', M.next_uncertain, {
    desc = 'BioScope: go to the least confident mention not yet reviewed',
  })
  command('BioscopeExport', function(opts)
    M.export(opts.fargs[1], opts.fargs[2])
  end, {
    nargs = '*',
    complete = function(_, line)
      if #vim.split(line, '%s+') <= 2 then
        return M.export_formats()
      end
      return vim.fn.getcompletion('', 'file')
    end,
    desc = "BioScope: export the buffer's entities (pubtator, bioc, brat, conll) [to a file]",
  })
  command('BioscopeExportCorrections', function(opts)
    M.export_corrections(opts.fargs[1], opts.fargs[2])
  end, {
    nargs = '*',
    complete = function(_, line)
      if #vim.split(line, '%s+') <= 2 then
        return vim.tbl_keys(corrections_extensions)
      end
      return vim.fn.getcompletion('', 'file')
    end,
    desc = 'BioScope: export your corrections (jsonl, pubtator, bioc, brat, conll) [to a file]',
  })
  command('BioscopeRetrain', M.retrain, {
    desc = 'BioScope: retrain the model from your corrections and switch to it',
  })
end

--- The server command with the absolute (or `~`) path settings of `settings` moved onto it as
--- flags; returns the command and the remaining settings (relative paths stay settings: they
--- are under each workspace folder). A command that is a function cannot take flags: the
--- settings are left as they are.
function M.with_user_paths(cmd, settings)
  if type(cmd) ~= 'table' then
    return cmd, settings
  end
  local command, rest = vim.list_extend({}, cmd), {}
  for key, value in pairs(settings) do
    local flag = user_path_flags[key]
    if flag and type(value) == 'string' and (value:sub(1, 1) == '/' or value:sub(1, 1) == '~') then
      vim.list_extend(command, { flag, vim.fn.expand(value) })
    else
      rest[key] = value
    end
  end
  return command, rest
end

--- Configures and enables the server; `opts` may set cmd, cmd_env, filetypes, settings.
function M.setup(opts)
  opts = opts or {}
  M.init()
  local config = {}
  local settings = opts.settings or {}
  local cmd = opts.cmd
  if cmd or next(settings) then
    local default = (vim.lsp.config.bioscope or {}).cmd or { 'bioscope', 'lsp' }
    cmd, settings = M.with_user_paths(cmd or default, settings)
    config.cmd = cmd
  end
  if opts.cmd_env then
    config.cmd_env = opts.cmd_env
  end
  if opts.filetypes then
    config.filetypes = opts.filetypes
  end
  if opts.settings then
    M.colour_custom_types(opts.settings.customTypes)
    -- An empty table would be sent as a JSON array: send an object.
    settings = next(settings) and settings or vim.empty_dict()
    config.init_options = { bioscope = settings }
    config.settings = { bioscope = settings }
  end
  vim.lsp.config('bioscope', config)
  vim.lsp.enable('bioscope')
end

return M
