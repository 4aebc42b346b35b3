/* qs-layer-row.c: one analysed layer as a list item
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>

#include "qs-layer-row.h"

struct _QsLayerRow
{
  GObject          parent_instance;

  QsLayerResult   *layer;
  guint            index;
  char            *shape;

  QsVerdict        verdict;
  char            *verdict_text;
  double           primary_nmse;
  QsSeverity       primary_severity;
  guint            n_columns;
  double          *nmse;
  QsSeverity      *severity;
  guint            n_svd;
  QsSvdComparison *svd;
  QsAutoChoice     auto_choice;
  char            *auto_dtype;
  double           skip_threshold;
  double           promote_threshold;

  guint            has_summary : 1;
  guint            has_auto_choice : 1;
};

G_DEFINE_FINAL_TYPE (QsLayerRow, qs_layer_row, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_INDEX,
  PROP_COMPONENT,
  PROP_NAME,
  PROP_LAYER_CLASS,
  PROP_SHAPE,
  PROP_NUMEL,
  PROP_SECONDS,
  PROP_VERDICT,
  PROP_VERDICT_TEXT,
  PROP_PRIMARY_NMSE,
  N_PROPS
};

enum {
  CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
qs_layer_row_finalize (GObject *object)
{
  QsLayerRow *self = QS_LAYER_ROW (object);

  g_clear_pointer (&self->layer, qs_layer_result_unref);
  g_free (self->shape);
  g_free (self->verdict_text);
  g_free (self->nmse);
  g_free (self->severity);
  g_free (self->svd);
  g_free (self->auto_dtype);

  G_OBJECT_CLASS (qs_layer_row_parent_class)->finalize (object);
}

static void
qs_layer_row_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  QsLayerRow *self = QS_LAYER_ROW (object);

  switch (prop_id)
    {
    case PROP_INDEX:
      g_value_set_uint (value, self->index);
      break;

    case PROP_COMPONENT:
      g_value_set_string (value, self->layer->component);
      break;

    case PROP_NAME:
      g_value_set_string (value, self->layer->name);
      break;

    case PROP_LAYER_CLASS:
      g_value_set_string (value, self->layer->layer_class);
      break;

    case PROP_SHAPE:
      g_value_set_string (value, self->shape);
      break;

    case PROP_NUMEL:
      g_value_set_uint64 (value, self->layer->numel);
      break;

    case PROP_SECONDS:
      g_value_set_double (value, self->layer->seconds);
      break;

    case PROP_VERDICT:
      g_value_set_int (value, self->verdict);
      break;

    case PROP_VERDICT_TEXT:
      g_value_set_string (value, self->verdict_text);
      break;

    case PROP_PRIMARY_NMSE:
      g_value_set_double (value, self->primary_nmse);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
qs_layer_row_class_init (QsLayerRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = qs_layer_row_finalize;
  object_class->get_property = qs_layer_row_get_property;

  properties[PROP_INDEX] =
    g_param_spec_uint ("index", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_COMPONENT] =
    g_param_spec_string ("component", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_LAYER_CLASS] =
    g_param_spec_string ("layer-class", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_SHAPE] =
    g_param_spec_string ("shape", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_NUMEL] =
    g_param_spec_uint64 ("numel", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_SECONDS] =
    g_param_spec_double ("seconds", NULL, NULL, 0, G_MAXDOUBLE, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_VERDICT] =
    g_param_spec_int ("verdict", NULL, NULL, QS_VERDICT_OK, QS_VERDICT_ERROR, QS_VERDICT_OK,
                      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_VERDICT_TEXT] =
    g_param_spec_string ("verdict-text", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_PRIMARY_NMSE] =
    g_param_spec_double ("primary-nmse", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * QsLayerRow::changed:
   *
   * Emitted after qs_layer_row_update(), so cells that show values which
   * depend on the thresholds (colours, verdicts) can refresh.
   */
  signals[CHANGED] =
    g_signal_new ("changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
qs_layer_row_init (QsLayerRow *self)
{
  self->primary_nmse = NAN;
  self->primary_severity = QS_SEVERITY_UNKNOWN;
}

QsLayerRow *
qs_layer_row_new (QsLayerResult *layer,
                  guint          index)
{
  QsLayerRow *self;

  g_return_val_if_fail (layer != NULL, NULL);

  self = g_object_new (QS_TYPE_LAYER_ROW, NULL);
  self->layer = qs_layer_result_ref (layer);
  self->index = index;
  self->shape = qs_layer_result_format_shape (layer);

  return self;
}

QsLayerResult *
qs_layer_row_get_layer (QsLayerRow *self)
{
  g_return_val_if_fail (QS_IS_LAYER_ROW (self), NULL);

  return self->layer;
}

guint
qs_layer_row_get_index (QsLayerRow *self)
{
  g_return_val_if_fail (QS_IS_LAYER_ROW (self), 0);

  return self->index;
}

const char *
qs_layer_row_get_component (QsLayerRow *self)
{
  g_return_val_if_fail (QS_IS_LAYER_ROW (self), NULL);

  return self->layer->component;
}

const char *
qs_layer_row_get_name (QsLayerRow *self)
{
  g_return_val_if_fail (QS_IS_LAYER_ROW (self), NULL);

  return self->layer->name;
}

const char *
qs_layer_row_get_shape (QsLayerRow *self)
{
  g_return_val_if_fail (QS_IS_LAYER_ROW (self), NULL);

  return self->shape;
}

void
qs_layer_row_update (QsLayerRow           *self,
                     const QsSummary      *summary,
                     const QsLayerSummary *layer_summary)
{
  g_autofree char *verdict_text = NULL;
  gboolean verdict_changed;
  gboolean text_changed;
  gboolean nmse_changed;

  g_return_if_fail (QS_IS_LAYER_ROW (self));
  g_return_if_fail (summary != NULL);
  g_return_if_fail (layer_summary != NULL);

  verdict_text = qs_layer_summary_format_verdict (layer_summary);
  verdict_changed = !self->has_summary || self->verdict != layer_summary->verdict;
  text_changed = g_strcmp0 (self->verdict_text, verdict_text) != 0;
  nmse_changed = !(self->primary_nmse == layer_summary->primary_nmse)
                 && !(isnan (self->primary_nmse) && isnan (layer_summary->primary_nmse));

  self->has_summary = TRUE;
  self->skip_threshold = summary->skip_threshold;
  self->promote_threshold = summary->promote_threshold;
  self->verdict = layer_summary->verdict;
  g_free (self->verdict_text);
  self->verdict_text = g_steal_pointer (&verdict_text);
  self->primary_nmse = layer_summary->primary_nmse;
  self->primary_severity = qs_severity_for_nmse (layer_summary->primary_nmse,
                                                 summary->skip_threshold,
                                                 summary->promote_threshold);

  if (self->n_columns != summary->n_columns)
    {
      self->n_columns = summary->n_columns;
      self->nmse = g_renew (double, self->nmse, self->n_columns);
      self->severity = g_renew (QsSeverity, self->severity, self->n_columns);
    }
  for (guint i = 0; i < self->n_columns; i++)
    {
      self->nmse[i] = layer_summary->nmse[i];
      self->severity[i] = qs_severity_for_nmse (layer_summary->nmse[i],
                                                summary->skip_threshold,
                                                summary->promote_threshold);
    }

  g_clear_pointer (&self->svd, g_free);
  self->n_svd = layer_summary->svd != NULL ? layer_summary->n_svd : 0;
  if (self->n_svd > 0)
    self->svd = g_memdup2 (layer_summary->svd, sizeof (QsSvdComparison) * self->n_svd);

  /* The choice points at a static dtype name today; a copy keeps the row
   * independent of the summary whatever the engine does there. */
  g_clear_pointer (&self->auto_dtype, g_free);
  self->has_auto_choice = summary->has_auto_config;
  self->auto_choice = layer_summary->auto_choice;
  self->auto_dtype = g_strdup (layer_summary->auto_choice.dtype);
  self->auto_choice.dtype = self->auto_dtype;

  if (verdict_changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VERDICT]);
  if (text_changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VERDICT_TEXT]);
  if (nmse_changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PRIMARY_NMSE]);

  g_signal_emit (self, signals[CHANGED], 0);
}

gboolean
qs_layer_row_has_summary (QsLayerRow *self)
{
  g_return_val_if_fail (QS_IS_LAYER_ROW (self), FALSE);

  return self->has_summary;
}

QsVerdict
qs_layer_row_get_verdict (QsLayerRow *self)
{
  g_return_val_if_fail (QS_IS_LAYER_ROW (self), QS_VERDICT_ERROR);

  return self->verdict;
}

const char *
qs_layer_row_get_verdict_text (QsLayerRow *self)
{
  g_return_val_if_fail (QS_IS_LAYER_ROW (self), NULL);

  return self->verdict_text;
}

double
qs_layer_row_get_primary_nmse (QsLayerRow *self)
{
  g_return_val_if_fail (QS_IS_LAYER_ROW (self), NAN);

  return self->primary_nmse;
}

QsSeverity
qs_layer_row_get_primary_severity (QsLayerRow *self)
{
  g_return_val_if_fail (QS_IS_LAYER_ROW (self), QS_SEVERITY_UNKNOWN);

  return self->primary_severity;
}

guint
qs_layer_row_get_n_columns (QsLayerRow *self)
{
  g_return_val_if_fail (QS_IS_LAYER_ROW (self), 0);

  return self->n_columns;
}

double
qs_layer_row_get_nmse (QsLayerRow *self,
                       guint       column)
{
  g_return_val_if_fail (QS_IS_LAYER_ROW (self), NAN);

  return column < self->n_columns ? self->nmse[column] : NAN;
}

QsSeverity
qs_layer_row_get_severity (QsLayerRow *self,
                           guint       column)
{
  g_return_val_if_fail (QS_IS_LAYER_ROW (self), QS_SEVERITY_UNKNOWN);

  return column < self->n_columns ? self->severity[column] : QS_SEVERITY_UNKNOWN;
}

guint
qs_layer_row_get_n_svd (QsLayerRow *self)
{
  g_return_val_if_fail (QS_IS_LAYER_ROW (self), 0);

  return self->n_svd;
}

const QsSvdComparison *
qs_layer_row_get_svd (QsLayerRow *self,
                      guint       index)
{
  g_return_val_if_fail (QS_IS_LAYER_ROW (self), NULL);

  return index < self->n_svd ? &self->svd[index] : NULL;
}

const QsAutoChoice *
qs_layer_row_get_auto_choice (QsLayerRow *self)
{
  g_return_val_if_fail (QS_IS_LAYER_ROW (self), NULL);

  return self->has_auto_choice ? &self->auto_choice : NULL;
}

QsSeverity
qs_layer_row_get_severity_for_nmse (QsLayerRow *self,
                                    double      nmse)
{
  g_return_val_if_fail (QS_IS_LAYER_ROW (self), QS_SEVERITY_UNKNOWN);

  if (!self->has_summary)
    return QS_SEVERITY_UNKNOWN;

  return qs_severity_for_nmse (nmse, self->skip_threshold, self->promote_threshold);
}
