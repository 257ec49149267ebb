-- BioScope for Neovim (0.11+): starts `bioscope lsp` for Markdown, LaTeX and text buffers and
-- colours the entities it reports as semantic tokens.
--
--   require('bioscope').setup({
--     cmd = { 'bioscope', 'lsp' },          -- the server command
--     settings = { confidenceThreshold = 0.5, enabledTypes = { 'Gene', 'Disease' } },
--   })
local M = {}

-- Token type (from the server's legend) -> highlight group and its default colours.
local groups = {
  gene = { 'BioscopeGene', { fg = '#5fafff', bold = true } },
  disease = { 'BioscopeDisease', { fg = '#ff5f5f', bold = true } },
  chemical = { 'BioscopeChemical', { fg = '#5fd75f', bold = true } },
  species = { 'BioscopeSpecies', { fg = '#d787ff', bold = true } },
  cellLine = { 'BioscopeCellLine', { fg = '#ffaf5f', bold = true } },
  cellType = { 'BioscopeCellType', { fg = '#5fd7d7', bold = true } },
  variant = { 'BioscopeVariant', { fg = '#ffd75f', bold = true } },
}

local function define_highlights()
  for token_type, spec in pairs(groups) do
    local name, colours = spec[1], spec[2]
    -- `default = true`: a colour scheme or the user can override the group.
    vim.api.nvim_set_hl(0, name, vim.tbl_extend('force', colours, { default = true }))
    vim.api.nvim_set_hl(0, '@lsp.type.' .. token_type, { link = name, default = true })
  end
  vim.api.nvim_set_hl(0, 'BioscopeUncertain', { undercurl = true, default = true })
  vim.api.nvim_set_hl(0, '@lsp.mod.uncertain', { link = 'BioscopeUncertain', default = true })
  vim.api.nvim_set_hl(0, 'BioscopeCorrected', { underline = true, default = true })
  vim.api.nvim_set_hl(0, '@lsp.mod.corrected', { link = 'BioscopeCorrected', default = true })
  vim.api.nvim_set_hl(0, 'BioscopeAbbreviation', { italic = true, default = true })
  vim.api.nvim_set_hl(0, '@lsp.mod.abbreviation', { link = 'BioscopeAbbreviation', default = true })
end

function M.setup(opts)
  opts = opts or {}
  define_highlights()
  vim.api.nvim_create_autocmd('ColorScheme', {
    group = vim.api.nvim_create_augroup('bioscope_highlights', { clear = true }),
    callback = define_highlights,
  })
  -- An empty table would be sent as a JSON array: send an object.
  local settings = opts.settings or vim.empty_dict()
  vim.lsp.config('bioscope', {
    cmd = opts.cmd or { 'bioscope', 'lsp' },
    filetypes = opts.filetypes or { 'markdown', 'tex', 'plaintex', 'text', 'rmd', 'quarto' },
    root_markers = { '.bioscope', '.git' },
    init_options = { bioscope = settings },
    settings = { bioscope = settings },
  })
  vim.lsp.enable('bioscope')
end

return M
